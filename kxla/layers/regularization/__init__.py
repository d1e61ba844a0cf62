"""kxla.layers.regularization"""
from .spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D  # noqa: E402
from .gaussian_noise import GaussianNoise  # noqa: E402
from .gaussian_dropout import GaussianDropout  # noqa: E402
from .alpha_dropout import AlphaDropout  # noqa: E402
from .activity_regularization import ActivityRegularization  # noqa: E402
__all__ = ["SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
           "AlphaDropout", "ActivityRegularization"]
