"""What the learned models read from a transcript: meaning from word vectors, plus the rules.

- the mean vector of the content lemmas (the gist: "вода в подвале по колено" lands near
  flooding even with words no rule names);
- for each category and each kind of emergency, how close the nearest word of the call comes
  to a handful of seed words (so one telling word is not drowned in a long rambling call);
- the rules' category scores and whether an emergency rule fired.

Address words, numbers and function words are left out: they say nothing of the problem.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .address import APARTMENT_WORDS, BUILDING_WORDS, HOUSE_WORDS, STREET_TYPES, STRUCTURE_WORDS
from .numbers import is_number_word
from .vectors import DIM, Vector, Vectors

Features = npt.NDArray[np.float32]

CATEGORY_SEEDS: dict[str, str] = {
    "water": "вода кран смеситель водопровод протечка течь капать напор кипяток затопить",
    "sewer": "канализация засор унитаз слив сток нечистоты фекалии засориться прочистка",
    "heating": "отопление батарея радиатор тепло холодно греть замерзать",
    "electricity": "электричество свет розетка проводка провод щиток лампочка искрить напряжение автомат",
    "elevator": "лифт кабина застрять подъёмник",
    "gas": "газ газовый плита конфорка колонка",
    "roof": "крыша кровля чердак сосулька водосток шифер козырёк",
    "common_property": "домофон дверь окно стекло перила замок ступенька подъезд фасад почтовый",
    "cleaning": "мусор уборка грязь снег лёд контейнер дворник таракан крыса мусоропровод",
    "other": "квитанция оплата счёт тариф справка бухгалтерия задолженность договор шум сосед",
}
EMERGENCY_SEEDS: dict[str, str] = {
    "flooding": "затопить заливать хлестать потоп ручей литься потоп",
    "burst": "прорвать лопнуть сорвать разорвать",
    "sparking": "искрить искра замыкание дым гореть пожар плавиться",
    "stuck": "застрять заблокировать",
    "gas": "газ утечка",
    "falling": "сосулька упасть рухнуть обрушиться свисать глыба",
    "sewage": "канализация нечистоты фекалии переполнить",
    "danger": "опасно срочно страшно помогите",
}
_ADDRESS = frozenset(STREET_TYPES) | HOUSE_WORDS | BUILDING_WORDS | STRUCTURE_WORDS | APARTMENT_WORDS
_FUNCTION = frozenset(
    """и а но или да же ли бы вот ну то это этот эта эти тот там тут здесь так как что чтобы
    в во на с со у к ко о об от до по за из под над при для без через про между
    я мы ты вы он она они оно мой наш ваш свой его её их меня нас мне нам
    уже ещё еще очень весь всё все сам быть есть мочь который
    здравствуйте алло алё добрый день пожалуйста девушка слушать говорить звонить""".split()
)

N_CATEGORY_SEEDS = len(CATEGORY_SEEDS)
N_EMERGENCY_SEEDS = len(EMERGENCY_SEEDS)


class Featurizer:
    def __init__(self, vectors: Vectors, categories: Sequence[str]) -> None:
        self.vectors = vectors
        self.categories = tuple(categories)
        self._cat_seeds = [self._seed_matrix(CATEGORY_SEEDS[c]) for c in self.categories]
        self._em_seeds = [self._seed_matrix(s) for s in EMERGENCY_SEEDS.values()]

    def _seed_matrix(self, words: str) -> npt.NDArray[np.float32]:
        rows = [v for w in words.split() if (v := self.vectors.get(w.replace("ё", "е"))) is not None]
        return np.stack(rows) if rows else np.zeros((1, DIM), dtype=np.float32)

    @property
    def size(self) -> int:
        return 2 * DIM + N_CATEGORY_SEEDS + N_EMERGENCY_SEEDS + len(self.categories) + 2

    def nearest_seed(self, x: Features) -> float:
        """How close the call's nearest word came to any service's seed words (0 when none)."""
        return float(x[2 * DIM:2 * DIM + N_CATEGORY_SEEDS].max())

    def content_vectors(self, tokens: Sequence[str], lemmas: Sequence[str]) -> list[Vector]:
        out: list[Vector] = []
        for tok, lem in zip(tokens, lemmas, strict=False):
            if tok in _ADDRESS or lem in _FUNCTION or tok in _FUNCTION or len(tok) < 2 or is_number_word(tok):
                continue
            v = self.vectors.get(lem)
            if v is None:
                v = self.vectors.get(tok)
            if v is not None:
                out.append(v)
        return out

    def features(
        self, tokens: Sequence[str], lemmas: Sequence[str], rule_scores: dict[str, float], rule_emergency: bool
    ) -> Features:
        vecs = self.content_vectors(tokens, lemmas)
        x = np.zeros(self.size, dtype=np.float32)
        if vecs:
            m = np.stack(vecs)
            mean = m.mean(axis=0)
            norm = float(np.linalg.norm(mean))
            if norm > 0:
                x[:DIM] = mean / norm
            # The strongest word on each dimension: one telling word in a long call still counts.
            x[DIM:2 * DIM] = m.max(axis=0)
            at = 2 * DIM
            for seeds in self._cat_seeds + self._em_seeds:
                x[at] = float((m @ seeds.T).max())
                at += 1
        at = 2 * DIM + N_CATEGORY_SEEDS + N_EMERGENCY_SEEDS
        for i, c in enumerate(self.categories):
            x[at + i] = min(1.0, rule_scores.get(c, 0.0) / 6.0)
        x[-2] = 1.0 if rule_emergency else 0.0
        x[-1] = 1.0  # bias
        return x
