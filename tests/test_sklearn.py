import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score

from tagger.sklearn import BiLSTMSegmenter

from .conftest import make_corpus

SENTENCES = make_corpus(120, 5)
X = ["".join(s) for s in SENTENCES]
Y = SENTENCES
TINY = dict(char_dim=8, bigram_dim=4, hidden=8, epochs=2, batch_chars=400, lr=0.01)


def test_fit_predict_score():
    model = BiLSTMSegmenter(**TINY).fit(X, Y)
    predicted = model.predict(X[:5])
    assert ["".join(words) for words in predicted] == X[:5]
    assert 0.5 < model.score(X, Y) <= 1.0


def test_params_and_clone():
    model = BiLSTMSegmenter(**TINY)
    assert model.get_params()["hidden"] == 8
    model.set_params(hidden=4)
    copy = clone(model)
    assert copy.get_params() == model.get_params() and not hasattr(copy, "segmenter_")


def test_cross_val_score_and_grid_search():
    scores = cross_val_score(BiLSTMSegmenter(**TINY), X, Y, cv=2)
    assert len(scores) == 2 and all(0 <= s <= 1 for s in scores)
    search = GridSearchCV(BiLSTMSegmenter(**TINY), {"hidden": [4, 8]}, cv=2).fit(X, Y)
    assert search.best_params_["hidden"] in (4, 8)
    assert len(search.best_estimator_.predict(["我们喜欢苹果"])[0]) >= 1


def test_validation_at_the_boundary():
    with pytest.raises(ValueError, match="do not spell"):
        BiLSTMSegmenter(**TINY).fit(["我们"], [["他们"]])
    with pytest.raises(ValueError, match="texts"):
        BiLSTMSegmenter(**TINY).fit(["我们"], [])
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        BiLSTMSegmenter().predict(["我们"])
