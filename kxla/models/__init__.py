"""kxla.models — Input, Sequential, functional and subclassed Model, summary, load_model."""
from ..layers.core.input_layer import Input, InputLayer
from .model import Model
from .sequential import Sequential
from ..saving.model_io import load_model, save_model
from .cloning import clone_model, model_from_json

__all__ = ["Input", "InputLayer", "Model", "Sequential", "load_model", "save_model", "clone_model",
           "model_from_json"]
