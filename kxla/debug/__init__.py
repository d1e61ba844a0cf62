"""kxla.debug"""
