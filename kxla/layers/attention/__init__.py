"""kxla.layers.attention"""
