"""The split of pi/4 that ``bessel_jy01_hankel_scalar`` (fluxion._src.prims.special_more) reduces
the Hankel phase ``x - (2n + 1) pi/4`` with (Cody and Waite's reduction, extended).

``python tools/bessel_jy_constants.py`` prints four doubles ``C1 + C2 + C3 + C4 = pi/4`` to about
3.4e-39: C1, C2 and C3 are pi/4's next 24 bits each (truncated), C4 the rest rounded to a double.
With an odd integer ``K < 2^29`` every product ``K * Ci`` (i <= 3) is exact in double precision
(at most 29 + 24 = 53 bits), so ``x - K pi/4`` is computed as a double-double to about
``K * 3.4e-39`` absolute; the formula uses it for ``x < 2^28`` (``K <= 4 x / pi + 1 < 2^29``).
"""

import mpmath as mp


def pieces(value: mp.mpf, bits: int, count: int) -> tuple[list[float], mp.mpf]:
    """``count`` doubles summing to ``value``: each but the last the next ``bits`` bits of what
    is left (truncated), the last what is left rounded to nearest; and the remainder."""
    out = []
    rest = value
    for i in range(count):
        if i == count - 1:
            c = float(rest)
        else:
            exponent = mp.floor(mp.log(abs(rest), 2))
            scale = mp.mpf(2) ** (bits - 1 - exponent)
            c = float(mp.floor(rest * scale) / scale)
        out.append(c)
        rest -= mp.mpf(c)
    return out, rest


def main() -> None:
    mp.mp.dps = 80
    split, rest = pieces(mp.pi / 4, 24, 4)
    for c in split:
        print(repr(c), c.hex())
    print("remainder", mp.nstr(rest, 5))


if __name__ == "__main__":
    main()
