"""The social-media rewrites of scripts/bench/ner_noise.py keep every gold entity on its own characters."""
from __future__ import annotations

from scripts.bench.ner_noise import EMOJI, rewrites
from tagger.vocab import normalize

TEXT = "1998年，江泽民在北京会见了世界银行行长。"
SPANS = [(6, 9, "PER"), (10, 12, "LOC"), (15, 19, "ORG")]


def test_every_rewrite_keeps_each_entity_on_its_characters():
    for name, rewrite in rewrites([TEXT]).items():
        new, moved = rewrite(TEXT, SPANS)
        assert [kind for *_, kind in moved] == [kind for *_, kind in SPANS], name
        # as the model reads them (Traditional and full width folded), the entities are the same text
        assert [normalize(new[s:e], False) for s, e, _ in moved] == [TEXT[s:e] for s, e, _ in SPANS], name


def test_the_rewrites_change_what_they_say():
    done = {name: rewrite(TEXT, SPANS)[0] for name, rewrite in rewrites([TEXT]).items()}
    assert done["clean"] == TEXT
    assert "，" not in done["no punctuation"] and "。" not in done["no punctuation"]
    assert done["emoji"].count(EMOJI) == 2 and done["emoji"].endswith(EMOJI)
    assert done["tildes"] == "1998年，~~江泽民在北京会见了世界银行行长。~~"
    # one of five pieces by the mark's offset: the comma is character 5, the full stop 21
    assert done["emoticon codes"] == "1998年，[哈哈]江泽民在北京会见了世界银行行长。[泪]"
    assert done["faces"] == "1998年，(^_^)江泽民在北京会见了世界银行行长。o(╯□╰)o"
    assert done["latin words"] == "1998年，OMG 江泽民在北京会见了世界银行行长。lol"
    assert done["spaced words"].split() == ["1998年", "，", "江泽民", "在", "北京", "会见", "了", "世界银行", "行长", "。"]
    assert "會見" in done["traditional"] and done["full width"].startswith("１９９８")
    assert TEXT in done["weibo"] and normalize(done["all"], False) != TEXT
