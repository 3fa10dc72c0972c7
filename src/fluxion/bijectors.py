"""``fluxion.bijectors``: invertible maps with log-det-Jacobians, and the constraint registry.

TFP's ``Bijector`` interface (``forward``, ``inverse``, ``forward_log_det_jacobian``,
``inverse_log_det_jacobian``, event shapes) over :mod:`fluxion.numpy`, so every map and its
log-det-Jacobian has derivatives of any order and works under ``jit`` and ``vmap``. Samplers map
constrained parameters to the real line with :func:`for_constraint`. See
:mod:`fluxion._src.bijectors` for the conventions.

- elementwise: ``Identity``, ``Exp``, ``Log``, ``Softplus``, ``Sigmoid``, ``Tanh``, ``Shift``,
  ``Scale``, ``Power``, ``Reciprocal``, ``Square``, ``NormalCDF``, ``GreaterThan``,
  ``LessThan``, ``RationalQuadraticSpline``;
- vectors and matrices: ``ScaleMatvecDiag``, ``ScaleMatvecTriL``, ``StickBreaking``,
  ``SoftmaxCentered``, ``Ordered``/``Ascending``, ``Cumsum``, ``CorrelationCholesky``,
  ``FillTriangular``, ``TransformDiagonal``, ``FillScaleTriL``, ``CholeskyOuterProduct``;
- shapes and structures: ``Reshape``, ``Permute``, ``Transpose``, ``Split``, ``Concat``,
  ``Blockwise``, ``JointMap``, ``Chain``, ``Invert``;
- flows: ``MaskedAutoregressiveFlow``, ``InverseAutoregressiveFlow``, ``RealNVP`` (networks
  from :mod:`fluxion.nn`).
"""

from ._src.bijectors import Ascending as Ascending
from ._src.bijectors import Bijector as Bijector
from ._src.bijectors import Blockwise as Blockwise
from ._src.bijectors import Chain as Chain
from ._src.bijectors import CholeskyOuterProduct as CholeskyOuterProduct
from ._src.bijectors import Concat as Concat
from ._src.bijectors import CorrelationCholesky as CorrelationCholesky
from ._src.bijectors import Cumsum as Cumsum
from ._src.bijectors import Exp as Exp
from ._src.bijectors import FillScaleTriL as FillScaleTriL
from ._src.bijectors import FillTriangular as FillTriangular
from ._src.bijectors import GreaterThan as GreaterThan
from ._src.bijectors import Identity as Identity
from ._src.bijectors import InverseAutoregressiveFlow as InverseAutoregressiveFlow
from ._src.bijectors import Invert as Invert
from ._src.bijectors import JointMap as JointMap
from ._src.bijectors import LessThan as LessThan
from ._src.bijectors import Log as Log
from ._src.bijectors import MaskedAutoregressiveFlow as MaskedAutoregressiveFlow
from ._src.bijectors import NormalCDF as NormalCDF
from ._src.bijectors import Ordered as Ordered
from ._src.bijectors import Permute as Permute
from ._src.bijectors import Power as Power
from ._src.bijectors import RationalQuadraticSpline as RationalQuadraticSpline
from ._src.bijectors import RealNVP as RealNVP
from ._src.bijectors import Reciprocal as Reciprocal
from ._src.bijectors import Reshape as Reshape
from ._src.bijectors import Scale as Scale
from ._src.bijectors import ScaleMatvecDiag as ScaleMatvecDiag
from ._src.bijectors import ScaleMatvecTriL as ScaleMatvecTriL
from ._src.bijectors import Shift as Shift
from ._src.bijectors import Sigmoid as Sigmoid
from ._src.bijectors import SoftmaxCentered as SoftmaxCentered
from ._src.bijectors import Softplus as Softplus
from ._src.bijectors import Split as Split
from ._src.bijectors import Square as Square
from ._src.bijectors import StickBreaking as StickBreaking
from ._src.bijectors import Tanh as Tanh
from ._src.bijectors import TransformDiagonal as TransformDiagonal
from ._src.bijectors import Transpose as Transpose
from ._src.bijectors import constraint_names as constraint_names
from ._src.bijectors import for_constraint as for_constraint

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
