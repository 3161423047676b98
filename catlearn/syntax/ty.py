"""Types: the objects of the free symmetric monoidal category.

A type is a finite list of atoms; ``@`` concatenates lists and ``Ty()`` is the
monoidal unit. An atom is a base name with an optional shape whose dimensions
are integers or symbols bound later (``Real[N]``).

>>> R = Ty("Real")
>>> R @ R
Ty('Real', 'Real')
>>> print(R[3, 4] @ Ty("Pos"))
Real[3, 4] * Pos
>>> print(Ty())
I
>>> (R @ R)[1] == R
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Union

Dim = Union[int, str]


@dataclass(frozen=True)
class Ob:
    """An atomic type: a base name and a shape (empty for scalars)."""

    name: str
    shape: tuple = ()

    def __str__(self) -> str:
        if not self.shape:
            return self.name
        return f"{self.name}[{', '.join(dim_str(d) for d in self.shape)}]"

    def __repr__(self) -> str:
        return repr(str(self))


def dim_str(dim) -> str:
    """A dimension as the user wrote it: ``3``, ``N`` or ``T - 1``."""
    if isinstance(dim, tuple):
        return f"{dim_str(dim[1])} {dim[0]} {dim_str(dim[2])}"
    return str(dim)


class Ty:
    """A monoidal product of atoms.

    ``Ty("Real")`` is one atom, ``Ty("Real", "Pos")`` two, ``Ty()`` none;
    ``Ty("Real", shape=(3,))`` or ``Ty("Real")[3]`` a shaped atom.
    """

    __slots__ = ("objects", "_hash")

    def __init__(self, *objects: Union[str, Ob], shape: tuple = ()):
        if shape and len(objects) != 1:
            from catlearn.errors import CatlearnTypeError
            raise CatlearnTypeError(
                f"a shape applies to exactly one atom, not to {len(objects)}")
        for o in objects:
            if not isinstance(o, (str, Ob)):
                from catlearn.errors import CatlearnTypeError
                raise CatlearnTypeError(f"Ty: an atom is named by a str such as 'Real', got "
                                        f"the {type(o).__name__} {o!r}")
        self.objects: tuple[Ob, ...] = tuple(
            Ob(o, tuple(shape)) if isinstance(o, str) else o for o in objects)
        self._hash = None

    @classmethod
    def of(cls, objects) -> "Ty":
        """The type whose atoms are ``objects`` (an iterable of :class:`Ob`)."""
        ty = cls.__new__(cls)
        ty.objects = tuple(objects)
        ty._hash = None  # hashed on demand: wide tensors build many types never hashed
        return ty

    def __matmul__(self, other: "Ty") -> "Ty":
        if not isinstance(other, Ty):
            return NotImplemented
        return Ty.of(self.objects + other.objects)

    def __pow__(self, n: int) -> "Ty":
        return Ty.of(self.objects * n)

    def __len__(self) -> int:
        return len(self.objects)

    def __iter__(self) -> Iterator["Ty"]:
        return (Ty.of((o,)) for o in self.objects)

    def __getitem__(self, key):
        """``ty[i]`` and ``ty[i:j]`` select atoms; on one atom, ``ty[3, 4]`` shapes it."""
        if isinstance(key, slice):
            return Ty.of(self.objects[key])
        if len(self.objects) == 1 and not self.objects[0].shape and not (
                isinstance(key, int) and key in (0, -1)):
            dims = key if isinstance(key, tuple) else (key,)
            return Ty(self.objects[0].name, shape=dims)
        return Ty.of((self.objects[key],))

    def __eq__(self, other) -> bool:
        return isinstance(other, Ty) and self.objects == other.objects

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(self.objects)
        return self._hash

    def __repr__(self) -> str:
        return f"Ty({', '.join(repr(o) for o in self.objects)})"

    def __str__(self) -> str:
        return " * ".join(str(o) for o in self.objects) if self.objects else "I"
