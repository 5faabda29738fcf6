"""Strip accents before tokenising, in training and at run time alike.

People type "paspo", "paspò" and "pasport" for the same word; most never type accents on a
phone keyboard. Folding both the training examples and incoming messages makes them meet.
Each character maps to one character, so entity offsets in the training data stay right.
"""

from __future__ import annotations

import unicodedata
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if len(base) == 1 else char


def fold(text: str) -> str:
    return "".join(fold_char(c) for c in text)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class AccentFolder(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> AccentFolder:
        return cls()

    @staticmethod
    def _fold_messages(messages: List[Message]) -> None:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str) and not text.startswith("/"):
                message.set(TEXT, fold(text))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._fold_messages(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._fold_messages(messages)
        return messages
