"""Preprocessing layers (Keras 3 names): image resizing/cropping and random augmentation (graph layers)."""
from .resizing import CenterCrop, Resizing
from .random_image import RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomInvert

__all__ = ["CenterCrop", "Resizing", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
           "RandomInvert"]
from .encoding import CategoryEncoding, Discretization  # noqa: E402
from .lookup import IntegerLookup, StringLookup  # noqa: E402
__all__ += ["CategoryEncoding", "Discretization", "IntegerLookup", "StringLookup"]
from .text_vectorization import TextVectorization  # noqa: E402
__all__ += ["TextVectorization"]
from .random_color import RandomColorDegeneration, RandomGrayscale, Solarization  # noqa: E402
__all__ += ["RandomColorDegeneration", "RandomGrayscale", "Solarization"]
from .random_affine import RandomRotation, RandomShear, RandomTranslation, RandomZoom  # noqa: E402
__all__ += ["RandomRotation", "RandomShear", "RandomTranslation", "RandomZoom"]
from .auto_contrast import AutoContrast  # noqa: E402
__all__ += ["AutoContrast"]
from .random_color_more import (Equalization, RandomColorJitter, RandomHue, RandomPosterization,  # noqa: E402
                                RandomSaturation, RandomSharpness)
__all__ += ["Equalization", "RandomColorJitter", "RandomHue", "RandomPosterization", "RandomSaturation",
            "RandomSharpness"]
from .stft_spectrogram import STFTSpectrogram  # noqa: E402
from .mel_spectrogram import MelSpectrogram  # noqa: E402
__all__ += ["STFTSpectrogram", "MelSpectrogram"]
from .hashing import HashedCrossing, Hashing  # noqa: E402
__all__ += ["HashedCrossing", "Hashing"]
from .random_mix import (CutMix, MixUp, RandomElasticTransform, RandomErasing, RandomGaussianBlur,  # noqa: E402
                         RandomPerspective)
__all__ += ["CutMix", "MixUp", "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomPerspective"]
from .rand_augment import MaxNumBoundingBoxes, RandAugment  # noqa: E402
__all__ += ["MaxNumBoundingBoxes", "RandAugment"]
from .clahe import ContrastLimitedAdaptiveHistogramEqualization  # noqa: E402
__all__ += ["ContrastLimitedAdaptiveHistogramEqualization"]
from .aug_mix import AugMix  # noqa: E402
__all__ += ["AugMix"]
