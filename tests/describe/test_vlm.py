"""VLM describer and its LoRA fine-tuning, on a tiny random-weight LLaVA built offline in a tmp dir."""

import json

import numpy as np
import pytest

transformers = pytest.importorskip("transformers")
pytest.importorskip("peft")
torch = pytest.importorskip("torch")

from tests.fixtures.vlm import build_tiny_vlm, picture, write_pairs  # noqa: E402
from vmb import VmbError, vocab  # noqa: E402
from vmb.describe import lora, vlm  # noqa: E402
from vmb.types import Attributes, MusicDescription, VideoTiming  # noqa: E402


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory):
    """Folder with a tiny LLaVA (2-layer CLIP vision tower, 2-layer Llama) and its processor."""
    return build_tiny_vlm(tmp_path_factory.mktemp("tiny_vlm"))


@pytest.fixture(scope="module")
def describer(tiny_vlm):
    return vlm.VlmDescriber.from_pretrained(tiny_vlm, max_new_tokens=12)


_picture = picture


# --------------------------------------------------------------------------- parsing and validation


GOOD = json.dumps({"sentence": "A calm piano piece with soft strings.", "moods": ["calm", "Melancholic"],
                   "genres": ["ambient"], "instruments": ["piano", "violins"], "tempo": 72, "mode": "minor",
                   "energy": 0.3, "reasoning": ["Emotion match: quiet", "Scene association: dusk"]})


def test_parse_good_json():
    d = vlm.parse_output(GOOD, source="image")
    assert d.sentence == "A calm piano piece with soft strings."
    assert d.attributes.moods[0] == "calm" and len(d.attributes.moods) == 2
    assert d.attributes.instruments == ["piano", "violin"]  # plural normalised
    assert d.attributes.tempo_bpm == 72 and d.attributes.tempo_class == vocab.tempo_class_of(72)
    assert d.attributes.mode == "minor" and d.attributes.energy == 0.3 and d.attributes.valence is not None
    assert d.reasoning == ["Emotion match: quiet", "Scene association: dusk"] and d.source == "image"


def test_parse_drops_unknown_tags_and_clamps():
    raw = json.dumps({"sentence": "Loud.", "moods": ["calm", "zorblax"], "genres": "ambient, fooband",
                      "instruments": ["kazoo-o-tron"], "tempo": 900, "mode": "lydian-ish", "energy": 7})
    d = vlm.parse_output(raw)
    assert d.attributes.moods == ["calm"] and d.attributes.genres == ["ambient"] and d.attributes.instruments == []
    assert d.attributes.tempo_bpm == vocab.MAX_BPM and d.attributes.energy == 1.0 and d.attributes.mode is None
    note = d.reasoning[-1]
    assert "zorblax" in note and "fooband" in note and "kazoo-o-tron" in note and "lydian-ish" in note
    d = vlm.parse_output('{"moods": ["calm"], "tempo": NaN, "energy": "0.4"}')
    assert d.attributes.tempo_bpm is None and d.attributes.energy == 0.4 and "tempo nan" in d.reasoning[-1]
    assert vlm.parse_output('{"moods": ["calm"], "energy": NaN}').attributes.energy is None


def test_parse_json_inside_prose_and_tempo_words():
    raw = ('Sure! Here is the JSON:\n```json\n{"moods": ["epic"], "tempo": "fast", "reasoning": "Scene association: '
           'a {storm}",}\n```\nHope this helps {not json}')
    d = vlm.parse_output(raw, seed=3)
    assert d.attributes.moods == ["epic"] and d.attributes.tempo_class == "fast" and d.attributes.tempo_bpm is None
    assert d.sentence  # written from the tags when the model gave none
    assert d.reasoning == ["Scene association: a {storm}"]
    assert vlm.parse_output(raw, seed=3).sentence == d.sentence  # deterministic for a seed


@pytest.mark.parametrize("raw", ['{"sentence": "unterminated', "no json here at all", "[1, 2]",
                                 '{"moods": ["zorblax"], "tempo": 90}'])
def test_parse_unusable_raises(raw):
    with pytest.raises(VmbError, match="VLM answer"):
        vlm.parse_output(raw)


def test_target_json_round_trips():
    d = MusicDescription("A bright pop song.", Attributes(genres=["pop"], moods=["happy"], instruments=["piano"],
                                                         tempo_bpm=120.0, mode="major", energy=0.8),
                         reasoning=["Emotion match: joy"], source="image")
    back = vlm.parse_output(vlm.target_json(d))
    assert back.sentence == d.sentence and back.attributes.genres == ["pop"] and back.attributes.tempo_bpm == 120
    assert back.reasoning == d.reasoning


def test_sample_frames_and_contact_sheet():
    frames = [np.full((20, 30, 3), i, np.uint8) for i in range(50)]
    idx = vlm.sample_frames(frames, [i / 10 for i in range(50)], 4)
    assert len(idx) == 4 and idx == sorted(idx) and 0 < idx[0] and idx[-1] < 49
    sheet = vlm.contact_sheet([frames[i] for i in idx], side=64)
    assert sheet.shape == (64, 64, 3) and sheet[0, 0, 0] == idx[0] and sheet[-1, -1, 0] == idx[3]


# --------------------------------------------------------------------------- the model


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(VmbError, match="not found.*--vlm-model"):
        vlm.VlmDescriber.from_pretrained(tmp_path / "nope")
    with pytest.raises(VmbError, match="nor a model id in the local Hugging Face cache"):
        vlm.VlmDescriber.from_pretrained("nobody/no-such-vlm")  # never downloaded
    (tmp_path / "empty").mkdir()
    with pytest.raises(VmbError, match="cannot load"):
        vlm.VlmDescriber.from_pretrained(tmp_path / "empty")


def test_random_model_garbage_is_a_clear_error_or_falls_back(describer, monkeypatch):
    text = describer.generate_text([_picture()])
    assert text == describer.generate_text([_picture()])  # greedy: deterministic
    with pytest.raises(VmbError, match="VLM .*tiny_vlm"):
        describer.describe_image(_picture(), seed=0)
    monkeypatch.setattr(describer, "fallback", True)
    d = describer.describe_image(_picture(), seed=0)
    assert d.source == "image" and d.sentence and "analysis describer used instead" in d.reasoning[-1]


def test_describe_image_and_video_parse_the_answer(describer, monkeypatch):
    seen = []
    monkeypatch.setattr(describer, "generate_text", lambda images: seen.append(images) or GOOD)
    assert describer.describe_image(_picture()).attributes.genres == ["ambient"]
    frames = [_picture(i) for i in range(30)]
    d = describer.describe_video(frames, [i / 5 for i in range(30)], VideoTiming(duration_s=6.0), n_frames=4)
    assert d.source == "video" and d.attributes.moods[0] == "calm"
    assert len(seen[-1]) == 1 and seen[-1][0].shape == (vlm.SHEET_SIDE, vlm.SHEET_SIDE, 3)  # one contact sheet


def test_multi_image_and_chat_template(tiny_vlm, monkeypatch):
    d = vlm.VlmDescriber.from_pretrained(tiny_vlm, max_new_tokens=4, multi_image=True)
    plain = d.generate_text([_picture(0), _picture(1)])  # two <image> placeholders, two images
    monkeypatch.setattr(d.processor, "chat_template", "{% for m in messages %}USER: {% for c in m['content'] %}"
                        "{% if c['type'] == 'image' %}<image> {% else %}{{ c['text'] }}{% endif %}{% endfor %}"
                        "{% endfor %}{% if add_generation_prompt %} ASSISTANT:{% endif %}", raising=False)
    prompt = vlm.build_prompt(d.processor, 2)
    assert prompt.startswith("USER: <image> <image> Describe") and prompt.endswith("ASSISTANT:")
    assert isinstance(plain, str) and d.generate_text([_picture(0), _picture(1)]) == plain  # same tokens as the plain prompt


# --------------------------------------------------------------------------- LoRA


@pytest.fixture(scope="module")
def pairs_file(tmp_path_factory):
    return write_pairs(tmp_path_factory.mktemp("pairs"))


def test_example_labels_only_the_target(tiny_vlm, pairs_file):
    _model, processor = vlm.load_vlm(tiny_vlm)
    pairs = lora.load_pairs(pairs_file)
    assert len(pairs) == 2 and len(pairs[1].files) == 2 and len(pairs[1].images()) == 1  # frames -> one sheet
    ex = lora.build_example(processor, pairs[0])
    target = processor.tokenizer(vlm.target_json(pairs[0].description), add_special_tokens=False).input_ids
    labelled = ex["labels"][0][ex["labels"][0] != -100].tolist()
    assert labelled == target + [processor.tokenizer.eos_token_id]
    assert ex["input_ids"][0, -len(labelled):].tolist() == labelled


def test_lora_trains_saves_and_loads(tiny_vlm, pairs_file, tmp_path):
    out = lora.train_lora(tiny_vlm, pairs_file, tmp_path / "adapter", steps=12, rank=8, lr=2e-2, seed=0)
    manifest = lora.read_manifest(out)
    losses = manifest["losses"]
    assert len(losses) == 12 and all(np.isfinite(losses))
    assert np.mean(losses[-2:]) < 0.8 * np.mean(losses[:2])  # one repeated target: the loss must fall
    assert (out / "adapter_config.json").is_file() and not list(tmp_path.glob(".adapter.*"))
    base = vlm.VlmDescriber.from_pretrained(tiny_vlm, max_new_tokens=30)
    tuned = vlm.VlmDescriber.from_pretrained(tiny_vlm, max_new_tokens=30, adapter=out)
    assert tuned.generate_text([_picture(1)]) != base.generate_text([_picture(1)])  # the adapter changes answers
    with pytest.raises(VmbError, match="not a vmb adapter"):
        lora.train_lora(tiny_vlm, pairs_file, tmp_path, steps=1)  # a non-empty folder that is no adapter


def test_bad_pairs_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"image": "x.png"}\n')
    with pytest.raises(VmbError, match="line 1"):
        lora.load_pairs(bad)
    d = MusicDescription("Calm.").to_dict()
    bad.write_text("\n" + json.dumps({"frames": ["gone.png"], "description": d}) + "\n")
    with pytest.raises(VmbError, match="line 2: image file .*gone.png.* not found"):
        lora.load_pairs(bad)


# --------------------------------------------------------------------------- CLI


def test_cli_describe_with_vlm(tiny_vlm, tmp_path, monkeypatch, capsys):
    from PIL import Image

    from vmb import cli

    image = tmp_path / "x.png"
    Image.fromarray(_picture()).save(image)
    # The random model's answer is garbage: one clear error line, exit status 1.
    assert cli.main(["describe", "--describer", "vlm", "--vlm-model", str(tiny_vlm), "--image", str(image)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("vmb: error: VLM") and "not a JSON object" in err and "\n" not in err
    # A parsable answer is printed like the analysis describer's.
    monkeypatch.setattr(vlm.VlmDescriber, "generate_text", lambda self, images: GOOD)
    assert cli.main(["describe", "--describer", "vlm", "--vlm-model", str(tiny_vlm), "--image", str(image),
                     "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sentence"] == "A calm piano piece with soft strings." and out["attributes"]["genres"] == ["ambient"]
    assert cli.main(["describe", "--describer", "vlm", "--text", "rain"]) == 1
    assert "--describer vlm reads images" in capsys.readouterr().err
    monkeypatch.delenv("VMB_VLM_MODEL", raising=False)
    assert cli.main(["describe", "--describer", "vlm", "--image", str(image)]) == 1
    assert "needs a model" in capsys.readouterr().err


def test_cli_train_mmdm(tiny_vlm, pairs_file, tmp_path, capsys):
    from vmb import cli

    out = tmp_path / "adapter"
    assert cli.main(["train", "mmdm", "--data", str(pairs_file), "--vlm-model", str(tiny_vlm), "--out", str(out),
                     "--steps", "2", "--rank", "2", "--quiet"]) == 0
    assert f"adapter: {out}" in capsys.readouterr().out and lora.read_manifest(out)["rank"] == 2
    assert cli.main(["train", "mmdm", "--data", str(pairs_file), "--out", str(out)]) == 1
    assert "--vlm-model" in capsys.readouterr().err


def test_cli_describe_video_with_vlm(tiny_vlm, tmp_path, monkeypatch, capsys):
    from tests.fixtures.video import make_video
    from vmb import cli

    clip = tmp_path / "clip.mp4"
    make_video(clip, duration_s=3.0, cuts_s=(1.5,))
    seen = []
    monkeypatch.setattr(vlm.VlmDescriber, "generate_text", lambda self, images: seen.append(images) or GOOD)
    monkeypatch.setenv("VMB_VLM_MODEL", str(tiny_vlm))  # the configured model, no --vlm-model
    assert cli.main(["describe", "--describer", "vlm", "--video", str(clip), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["source"] == "video" and out["attributes"]["moods"][0] == "calm"
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].shape == (vlm.SHEET_SIDE, vlm.SHEET_SIDE, 3)


def test_cli_generate_from_image_with_vlm(tiny_vlm, tmp_path, monkeypatch, capsys):
    # Slow alone (~10 s: the session's first use builds the test library); shared in a full run.
    from PIL import Image

    from vmb import cli

    image = tmp_path / "x.png"
    Image.fromarray(_picture()).save(image)
    monkeypatch.setattr(vlm.VlmDescriber, "generate_text", lambda self, images: GOOD)
    assert cli.main(["generate", "--describer", "vlm", "--vlm-model", str(tiny_vlm), "--image", str(image),
                     "--duration", "4", "-o", str(tmp_path / "out.wav"), "--no-midi", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["description"]["attributes"]["genres"] == ["ambient"] and result["description"]["source"] == "image"
    assert (tmp_path / "out.wav").is_file()
