"""kxla.layers.rnn"""
