"""kxla.distribution"""
