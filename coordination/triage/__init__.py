"""Triage: which first-level category a resident's message belongs to, and how sure we are.

A pure package: no Django, no Celery (tests check this), CPU only, nothing downloaded. It
reads Chinese and English.

- ``train(examples, *, seed=0, validation_share=0.15, target_precision=0.97,
  description="") -> Model``: fits on labelled ``Example(title, description, label)``,
  calibrates the confidence and chooses the auto-routing threshold on a held-back
  validation share (``training``)
- ``Model.predict(title, description="", k=3) -> Prediction`` and ``Model.predict_many``;
  ``Prediction(label, confidence, top, confident)`` (``model``)
- ``Model.to_bytes()`` / ``Model.from_bytes(data)``, ``dump(path)`` / ``load(path)``: a file
  format with no pickle and a SHA-256 digest; anything else raises ``ModelFormatError``
- ``features``: the text features (character 1-3-grams and jieba words, TF-IDF)
"""

from .model import FORMAT_VERSION, Model, ModelFormatError, Prediction
from .training import Example, train

__all__ = ["FORMAT_VERSION", "Example", "Model", "ModelFormatError", "Prediction", "train"]
