"""Sentiment-style sequence classification with Embedding + LSTM on padded, masked sequences.

No dataset download: the reviews are synthetic token sequences of varying
length (3 to 80 tokens) over a 1000-word vocabulary. A few "positive" and
"negative" words are planted in each review among neutral filler; the label
is which kind there is more of. Sequences are padded with
``kxla.utils.pad_sequences``; ``Embedding(mask_zero=True)`` turns the padding
into a mask, so the LSTM skips the padded steps.

Run: python examples/imdb_lstm.py        (well under a minute on a CPU)
"""
import numpy as np

import kxla
from kxla import layers

VOCAB, MAXLEN = 1000, 80
POSITIVE = np.arange(10, 30)          # token ids standing for "great", "loved", ...
NEGATIVE = np.arange(30, 50)          # "boring", "awful", ...


def synthetic_reviews(n, seed):
    rng = np.random.default_rng(seed)
    reviews, labels = [], []
    for _ in range(n):
        length = int(rng.integers(3, MAXLEN + 1))
        review = rng.integers(50, VOCAB, size=length)                 # neutral words
        label = int(rng.integers(0, 2))
        n_major, n_minor = int(rng.integers(2, 5)), int(rng.integers(0, 2))
        major, minor = (POSITIVE, NEGATIVE) if label else (NEGATIVE, POSITIVE)
        planted = np.concatenate([rng.choice(major, n_major), rng.choice(minor, n_minor)])
        where = rng.choice(length, size=min(len(planted), length), replace=False)
        review[where] = planted[:len(where)]
        reviews.append(review)
        labels.append(label)
    return reviews, np.asarray(labels)


kxla.utils.set_random_seed(0)
train_reviews, y_train = synthetic_reviews(4000, seed=0)
test_reviews, y_test = synthetic_reviews(1000, seed=1)
x_train = kxla.utils.pad_sequences(train_reviews, maxlen=MAXLEN)      # pre-padding with 0
x_test = kxla.utils.pad_sequences(test_reviews, maxlen=MAXLEN)
print(f"{len(x_train)} train / {len(x_test)} test reviews, padded to {MAXLEN} tokens")

model = kxla.Sequential([
    layers.Input(shape=(MAXLEN,), dtype="int32"),
    layers.Embedding(VOCAB, 32, mask_zero=True),
    layers.LSTM(32),
    layers.Dense(1, activation="sigmoid"),
], name="imdb_lstm")
model.summary()

print("\nThe whole LSTM is one IR node, lowered to one lax.scan:")
print(model.to_ir())

model.compile(optimizer=kxla.optimizers.Adam(5e-3), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=4, validation_split=0.1, verbose=2)
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"\ntest loss {loss:.4f}, test accuracy {accuracy:.4f}")
