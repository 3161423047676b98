"""``catlearn run --plot DIR`` creates its files: a symlink planted in DIR under a
plot's name is replaced by the plot, and the file it pointed to is left untouched."""
import os
import stat

from catlearn.cli import main

PROGRAM = "box f : Real -> Real\ncheck f >> id(Real) == f\n"
PNG = b"\x89PNG\r\n\x1a\n"


def test_a_planted_symlink_is_replaced_not_followed(tmp_path, capsys):
    (tmp_path / "p.cat").write_text(PROGRAM)
    plots, victim = tmp_path / "plots", tmp_path / "victim.txt"
    plots.mkdir()
    victim.write_text("precious")
    os.symlink(victim, plots / "line2_check.png")
    assert main(["run", str(tmp_path / "p.cat"), "--plot", str(plots), "--no-cache"]) == 0
    assert f"wrote {plots / 'line2_check.png'}" in capsys.readouterr().out
    assert victim.read_text() == "precious"
    written = plots / "line2_check.png"
    assert not written.is_symlink() and written.read_bytes().startswith(PNG)
    # readable as any file the user makes, not a private temporary file
    assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~_umask()
    assert [name for name in os.listdir(plots) if name.endswith(".tmp")] == []


def test_without_a_symlink_the_plot_is_written_the_same_way(tmp_path):
    (tmp_path / "p.cat").write_text(PROGRAM)
    assert main(["run", str(tmp_path / "p.cat"), "--plot", str(tmp_path), "--no-cache"]) == 0
    assert (tmp_path / "line2_check.png").read_bytes().startswith(PNG)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
