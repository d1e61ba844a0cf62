"""kxla.saving"""
