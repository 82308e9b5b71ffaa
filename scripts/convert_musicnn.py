"""Convert musicnn's TF1 checkpoints to safetensors for vmb.listen, and record golden TF outputs.

Runs in its own TensorFlow venv, never in vmb's environment (musicnn needs numpy 1.26; with
numpy 2 it silently returns garbage). Exact commands, from the repository root::

    python3 -m venv /work/tfvenv
    /work/tfvenv/bin/pip install tensorflow==2.17.0 tf_keras==2.17.0 numpy==1.26.4 \
        librosa==0.11.0 soxr==1.1.0 scipy==1.17.1 soundfile safetensors
    /work/tfvenv/bin/pip install --no-deps musicnn==0.1.0
    TF_USE_LEGACY_KERAS=1 /work/tfvenv/bin/python scripts/convert_musicnn.py

librosa and soxr are pinned to the versions in vmb's own environment so that the golden log-mel
spectrograms and the resampled clips come from the same code that vmb.listen runs.

Writes
  vmb/data/musicnn/MTT_musicnn.safetensors, MSD_musicnn.safetensors
      float32 weights under PyTorch names and layouts (see vmb/listen/model.py); the metadata
      holds format, version, model name, the 50 tag names, the config and the source.
  tests/data/musicnn_golden.npz
      for each clip of vmb/listen/clips.py GOLDEN_CLIPS: its fingerprint, the float16 mel
      spectrogram musicnn computes (before the log), and per model and 3 s patch the TF
      outputs: tags (sigmoid), logits, penultimate (200-d) and max_pool (753-d).

The TF reference is musicnn's own code: its ``extractor.batch_data`` computes the spectrogram
patches from a float32 WAV of each clip (``librosa.load(sr=16000)``: channel mean, then soxr_hq
resampling), and the graph is musicnn's ``models.define_model`` restored from its checkpoint and
run on all patches at once. The script then checks the golden values against musicnn's stock
``extractor.extractor`` (tags and max_pool of every patch, penultimate of the first patch; its
later penultimate rows repeat the first, a bug in musicnn 0.1.0 that this script reports).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", category=UserWarning)  # tf.compat.v1.layers deprecation notices

import numpy as np

if int(np.__version__.split(".")[0]) >= 2:
    sys.exit(f"numpy {np.__version__}: musicnn returns garbage with numpy 2; run this in the TF venv (numpy 1.26.4)")

import librosa
import soundfile as sf
import soxr
import tensorflow as tf
from musicnn import configuration as mconfig
from musicnn import extractor as mextractor  # importing it disables eager execution (TF1 graphs)
from musicnn import models as mmodels
from safetensors.numpy import load_file

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "vmb" / "data" / "musicnn"
GOLDEN = ROOT / "tests" / "data" / "musicnn_golden.npz"
MODELS = {"MTT_musicnn": mconfig.MTT_LABELS, "MSD_musicnn": mconfig.MSD_LABELS}
N_FRAMES = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1, as musicnn
FORMAT, VERSION = "vmb-musicnn", 1

# The config vmb.listen.model.MusicnnConfig rebuilds (musicnn's build_musicnn defaults).
CONFIG = {
    "n_mels": 96, "n_frames": N_FRAMES, "timbral_filters": 204, "timbral_widths": [38, 67],
    "timbral_height": 7, "temporal_filters": 51, "temporal_lengths": [128, 64, 32],
    "midend_filters": 64, "midend_layers": 3, "midend_kernel": 7, "backend_units": 200,
    "n_tags": 50, "bn_eps": 1e-3,
}


def write_safetensors(path: Path, tensors: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
    """A safetensors file with a sorted header, so that reruns give identical bytes.

    (``safetensors.numpy.save_file`` orders the metadata by a Rust hash map: the same content
    in a different byte order on every run.) Read back with safetensors' own loader to check.
    """
    header: dict = {"__metadata__": dict(sorted(metadata.items()))}
    offset, blobs = 0, []
    for name in sorted(tensors):
        blob = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format allows trailing spaces; keeps the data 8-aligned
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(blobs))
    os.chmod(path, 0o644)
    back = load_file(str(path))
    assert set(back) == set(tensors) and all(np.array_equal(back[k], tensors[k]) for k in tensors)


def load_clips_module():
    """vmb/listen/clips.py by path (numpy only: importing the vmb package would need torch)."""
    spec = importlib.util.spec_from_file_location("vmb_listen_clips", ROOT / "vmb" / "listen" / "clips.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def convert_weights(reader) -> dict[str, np.ndarray]:
    """TF variables -> PyTorch state dict (names of vmb.listen.model.Musicnn, torch layouts).

    TF1 layers are named in creation order: batch_normalization (input), conv2d + _1 (timbral
    7x38, 7x67), conv2d_2..4 + batch_normalization_3..5 (temporal 128, 64, 32), conv2d_5..7 +
    batch_normalization_6..8 (mid-end), batch_normalization_9 (pooled features), dense +
    batch_normalization_10 (penultimate), dense_1 (logits). Conv kernels HWIO -> OIHW; the
    mid-end kernels [7, C, 1, 64] -> Conv1d (64, C, 7); dense [in, out] -> Linear (out, in).
    """
    get = reader.get_tensor
    state: dict[str, np.ndarray] = {}

    def bn(tf_name: str, name: str) -> None:
        state[f"{name}.weight"] = get(f"{tf_name}/gamma")
        state[f"{name}.bias"] = get(f"{tf_name}/beta")
        state[f"{name}.running_mean"] = get(f"{tf_name}/moving_mean")
        state[f"{name}.running_var"] = get(f"{tf_name}/moving_variance")

    def conv2d(tf_name: str, name: str) -> None:
        state[f"{name}.weight"] = get(f"{tf_name}/kernel").transpose(3, 2, 0, 1)
        state[f"{name}.bias"] = get(f"{tf_name}/bias")

    bn("batch_normalization", "input_bn")
    for i in range(2):
        conv2d("conv2d" if i == 0 else f"conv2d_{i}", f"timbral.{i}.conv")
        bn(f"batch_normalization_{i + 1}", f"timbral.{i}.bn")
    for i in range(3):
        conv2d(f"conv2d_{i + 2}", f"temporal.{i}.conv")
        bn(f"batch_normalization_{i + 3}", f"temporal.{i}.bn")
    for i in range(3):
        kernel = get(f"conv2d_{i + 5}/kernel")  # (7, C_in, 1, 64)
        state[f"midend.{i}.conv.weight"] = kernel[:, :, 0, :].transpose(2, 1, 0)
        state[f"midend.{i}.conv.bias"] = get(f"conv2d_{i + 5}/bias")
        bn(f"batch_normalization_{i + 6}", f"midend.{i}.bn")
    bn("batch_normalization_9", "pool_bn")
    state["dense.weight"] = get("dense/kernel").T
    state["dense.bias"] = get("dense/bias")
    bn("batch_normalization_10", "dense_bn")
    state["classifier.weight"] = get("dense_1/kernel").T
    state["classifier.bias"] = get("dense_1/bias")
    out = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
    used = {k.rsplit("/", 1)[0] for k in reader.get_variable_to_shape_map() if "Adam" not in k}
    used -= {"beta1_power", "beta2_power"}
    expected = {"batch_normalization"} | {f"batch_normalization_{i}" for i in range(1, 11)}
    expected |= {"conv2d", "dense", "dense_1"} | {f"conv2d_{i}" for i in range(1, 8)}
    assert used == expected, f"unexpected checkpoint layers: {sorted(used ^ expected)}"
    return out


def reference_patches(wav_path: str) -> tuple[np.ndarray, np.ndarray]:
    """(patches (P, 187, 96) float32, mel16 (T, 96) float16) exactly as musicnn computes them."""
    batch, audio_rep = mextractor.batch_data(wav_path, N_FRAMES, N_FRAMES)
    audio, sr = librosa.load(wav_path, sr=mconfig.SR)
    mel = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=mconfig.FFT_HOP,
                                         n_fft=mconfig.FFT_SIZE, n_mels=mconfig.N_MELS).T
    mel16 = mel.astype(np.float16)
    assert np.array_equal(np.log10(10000 * mel16 + 1), audio_rep), "mel16 does not reproduce batch_data"
    return batch.astype(np.float32), mel16


def run_graph(model: str, batches: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """musicnn's graph, restored once, run on every clip's patches in one batch each."""
    tf.compat.v1.reset_default_graph()
    with tf.name_scope("model"):
        x = tf.compat.v1.placeholder(tf.float32, [None, N_FRAMES, mconfig.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        (logits, _timbral, _temporal, _c1, _c2, _c3, _mean_pool, max_pool,
         penultimate) = mmodels.define_model(x, is_training, model, len(MODELS[model]))
        tags = tf.nn.sigmoid(logits)
    sess = tf.compat.v1.Session()
    tf.compat.v1.train.Saver().restore(sess, os.path.join(os.path.dirname(mmodels.__file__), model) + "/")
    out = {}
    for name, batch in batches.items():
        t, lg, pen, mp = sess.run([tags, logits, penultimate, max_pool], feed_dict={x: batch, is_training: False})
        out[name] = {"tags": t, "logits": lg, "penultimate": pen, "max_pool": mp}
    sess.close()
    return out


def check_against_stock_extractor(model: str, wav_path: str, ours: dict[str, np.ndarray]) -> str:
    """musicnn's own extractor must agree with the golden values (penultimate: first patch only)."""
    taggram, labels, feats = mextractor.extractor(wav_path, model=model, extract_features=True)
    assert list(labels) == list(MODELS[model])
    err_tags = float(np.abs(taggram - ours["tags"]).max())
    err_max = float(np.abs(feats["max_pool"] - ours["max_pool"]).max())
    err_pen0 = float(np.abs(feats["penultimate"][0] - ours["penultimate"][0]).max())
    # batch size 1 (stock) vs the whole clip in one batch (here) moves max_pool by ~1e-5
    assert max(err_tags, err_max, err_pen0) < 1e-4, (err_tags, err_max, err_pen0)
    repeated = bool(np.array_equal(feats["penultimate"][1:], np.repeat(feats["penultimate"][:1], len(taggram) - 1, 0)))
    return (f"stock extractor: tags {err_tags:.1e}, max_pool {err_max:.1e}, penultimate[0] {err_pen0:.1e}; "
            f"its penultimate rows 1.. repeat row 0: {repeated}")


def main() -> None:
    clips = load_clips_module()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    package_dir = Path(mmodels.__file__).parent

    for model, labels in MODELS.items():
        reader = tf.compat.v1.train.NewCheckpointReader(str(package_dir / model) + "/")
        state = convert_weights(reader)
        meta = {
            "format": FORMAT, "version": str(VERSION), "name": model, "tags": json.dumps(list(labels)),
            "config": json.dumps(CONFIG),
            "source": f"musicnn 0.1.0 (PyPI, ISC licence, Jordi Pons), checkpoint musicnn/{model}; "
                      "converted by scripts/convert_musicnn.py",
        }
        path = OUT_DIR / f"{model}.safetensors"
        write_safetensors(path, state, meta)
        n_params = sum(v.size for k, v in state.items() if "running" not in k)
        print(f"{path.relative_to(ROOT)}: {len(state)} tensors, {n_params:,} parameters, {path.stat().st_size:,} bytes")

    golden: dict[str, np.ndarray] = {}
    batches: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as tmp:
        wavs = {}
        for name, (build, rate) in clips.GOLDEN_CLIPS.items():
            audio = build(rate)
            wavs[name] = os.path.join(tmp, f"{name}.wav")
            sf.write(wavs[name], audio.T if audio.ndim == 2 else audio, rate, subtype="FLOAT")
            batches[name], mel16 = reference_patches(wavs[name])
            golden[f"{name}.fingerprint"] = np.array(clips.fingerprint(audio))
            golden[f"{name}.sample_rate"] = np.array(rate)
            golden[f"{name}.mel16"] = mel16
            print(f"{name}: {audio.shape} at {rate} Hz -> {mel16.shape[0]} frames, {len(batches[name])} patches")
        for model in MODELS:
            outputs = run_graph(model, batches)
            for name, outs in outputs.items():
                for key, value in outs.items():
                    golden[f"{name}.{model}.{key}"] = value.astype(np.float32)
                print(f"  {model} {name}: " + check_against_stock_extractor(model, wavs[name], outs))
    golden["meta"] = np.array(json.dumps({
        "musicnn": "0.1.0", "tensorflow": tf.__version__, "numpy": np.__version__,
        "librosa": librosa.__version__, "soxr": soxr.__version__, "patch_frames": N_FRAMES,
        "patch_hop": N_FRAMES, "front_end": "librosa.load(sr=16000) soxr_hq; melspectrogram n_fft 512 "
        "hop 256 96 mels; float16; log10(10000 x + 1)",
    }))
    np.savez_compressed(GOLDEN, **golden)
    os.chmod(GOLDEN, 0o644)
    print(f"{GOLDEN.relative_to(ROOT)}: {GOLDEN.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
