"""Every special function of ``fluxion.scipy.special`` in one namespace, for the families."""

from ..special import *  # noqa: F403
from ..special_incomplete import *  # noqa: F403
from ..special_more import *  # noqa: F403
