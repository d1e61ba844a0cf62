"""kxla.training"""
