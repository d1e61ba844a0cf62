"""kxla.layers.regularization"""
