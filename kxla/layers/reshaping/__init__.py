"""kxla.layers.reshaping"""
