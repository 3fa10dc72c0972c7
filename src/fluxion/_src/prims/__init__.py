"""The primitive set, one module per family."""

from . import elementwise as elementwise
from . import indexing as indexing
from . import reduce as reduce
from . import shape as shape
