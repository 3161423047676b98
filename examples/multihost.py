"""One catlearn program on one host or on many: the bootstrap particle filter of
``examples/lgss.cat`` with its particles sharded over every device of every
process (see docs/scaling.md).

One host (all its devices)::

    python examples/multihost.py --particles 100000

Several hosts: start the same command on each, with the same coordinator
(host:port of process 0) and number of processes, and its own process id::

    python examples/multihost.py --coordinator 10.0.0.1:8476 --num-processes 2 --process-id 0
    python examples/multihost.py --coordinator 10.0.0.1:8476 --num-processes 2 --process-id 1

or set ``CATLEARN_COORDINATOR``, ``CATLEARN_NUM_PROCESSES`` and
``CATLEARN_PROCESS_ID`` instead of the flags (a cluster scheduler's
environment). With one process ``jax.distributed`` is not started at all.
Every process runs the same SPMD program on the global mesh; process 0
prints the result as JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

import jax

HERE = Path(__file__).resolve().parent


def options(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--coordinator", default=env("CATLEARN_COORDINATOR"),
                        help="host:port of process 0 (needed with several processes)")
    parser.add_argument("--num-processes", type=int,
                        default=int(env("CATLEARN_NUM_PROCESSES", "1")))
    parser.add_argument("--process-id", type=int, default=int(env("CATLEARN_PROCESS_ID", "0")))
    parser.add_argument("--particles", type=int, default=100_000,
                        help="a multiple of the total number of devices")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def start(coordinator: Optional[str], num_processes: int, process_id: int) -> None:
    """Join the processes into one JAX runtime; nothing to do for one process."""
    if num_processes == 1:
        return
    if not coordinator:
        sys.exit("several processes need --coordinator host:port (that of process 0)")
    jax.distributed.initialize(coordinator_address=coordinator, num_processes=num_processes,
                               process_id=process_id)


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = options(argv)
    start(args.coordinator, args.num_processes, args.process_id)
    from catlearn.inference.api import infer
    from catlearn.inference.smc import smc
    from catlearn.lang import load

    program = load(str(HERE / "lgss.cat"))
    data = json.loads((HERE / "lgss.json").read_text())
    devices = jax.device_count()          # every device of every process
    posterior = infer(program["lgss"], args={"T": data["T"], "rho": 0.9},
                      data={"y": data["y"]},
                      method=smc(particles=args.particles, devices=devices, seed=args.seed))
    result = {"processes": jax.process_count(), "devices": devices,
              "particles": args.particles, "log_evidence": posterior.log_evidence}
    if jax.process_index() == 0:
        print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
