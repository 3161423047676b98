"""The catlearn language: parse a program, elaborate it to string diagrams, run it.

>>> prog = parse("box f : Real -> Real\\ndiagram twice = f >> f")
>>> print(prog["twice"].dom, "->", prog["twice"].cod)
Real -> Real
"""
from catlearn.lang.program import (Check, Definition, Infer, LearnerSpec, Program, SampleQuery,
                                   Statement, Train, load, parse)
from catlearn.lang.registry import (DIAGRAM_PRIMITIVES, register_diagram_primitive,
                                    register_distribution, register_function)

__all__ = ["Check", "DIAGRAM_PRIMITIVES", "Definition", "Infer", "LearnerSpec", "Program",
           "SampleQuery", "Statement", "Train", "load", "parse", "register_diagram_primitive",
           "register_distribution", "register_function"]
