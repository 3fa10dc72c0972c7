"""Bijectors: invertible, differentiable maps with log-det-Jacobians (TFP's interface).

The package is split by kind; every public name is re-exported here, so
``from ..bijectors import Bijector, for_constraint`` keeps working:

- :mod:`.core`: the :class:`Bijector` base, the elementwise constraint maps (``Exp``,
  ``Softplus``, ``Sigmoid``, ``Shift``, ``Scale``, ...), ``Chain``, ``Invert``, the vector
  constraint maps (``StickBreaking``, ``Ordered``, ``CorrelationCholesky``) and the registry
  :func:`for_constraint`;
- :mod:`.matrix`: ``FillTriangular``, ``TransformDiagonal``, ``FillScaleTriL``,
  ``CholeskyOuterProduct``, ``ScaleMatvecDiag``, ``ScaleMatvecTriL`` (and the registry entries
  ``"lower_cholesky"``, ``"positive_definite"``, ``"corr_matrix"``);
- :mod:`.elementwise`: ``Log``, ``Tanh``, ``Power``, ``Reciprocal``, ``Square``, ``NormalCDF``;
- :mod:`.structural`: ``Reshape``, ``Permute``, ``Transpose``, ``Cumsum``, ``SoftmaxCentered``,
  ``Ascending``, ``Split``, ``Concat``, ``Blockwise``, ``JointMap``;
- :mod:`.flows`: ``MaskedAutoregressiveFlow``, ``InverseAutoregressiveFlow``, ``RealNVP``,
  ``RationalQuadraticSpline``.
"""

from __future__ import annotations

from .core import (
    Bijector,
    Chain,
    CorrelationCholesky,
    Exp,
    GreaterThan,
    Identity,
    Invert,
    LessThan,
    Ordered,
    Scale,
    Shift,
    Sigmoid,
    Softplus,
    StickBreaking,
    constraint_names,
    for_constraint,
)
from .elementwise import Log, NormalCDF, Power, Reciprocal, Square, Tanh
from .flows import (
    InverseAutoregressiveFlow,
    MaskedAutoregressiveFlow,
    RationalQuadraticSpline,
    RealNVP,
)
from .matrix import (
    CholeskyOuterProduct,
    FillScaleTriL,
    FillTriangular,
    ScaleMatvecDiag,
    ScaleMatvecTriL,
    TransformDiagonal,
)
from .structural import (
    Ascending,
    Blockwise,
    Concat,
    Cumsum,
    JointMap,
    Permute,
    Reshape,
    SoftmaxCentered,
    Split,
    Transpose,
)

__all__ = [
    "Ascending",
    "Bijector",
    "Blockwise",
    "Chain",
    "CholeskyOuterProduct",
    "Concat",
    "CorrelationCholesky",
    "Cumsum",
    "Exp",
    "FillScaleTriL",
    "FillTriangular",
    "GreaterThan",
    "Identity",
    "InverseAutoregressiveFlow",
    "Invert",
    "JointMap",
    "LessThan",
    "Log",
    "MaskedAutoregressiveFlow",
    "NormalCDF",
    "Ordered",
    "Permute",
    "Power",
    "RationalQuadraticSpline",
    "RealNVP",
    "Reciprocal",
    "Reshape",
    "Scale",
    "ScaleMatvecDiag",
    "ScaleMatvecTriL",
    "Shift",
    "Sigmoid",
    "SoftmaxCentered",
    "Softplus",
    "Split",
    "Square",
    "StickBreaking",
    "Tanh",
    "TransformDiagonal",
    "Transpose",
    "constraint_names",
    "for_constraint",
]
