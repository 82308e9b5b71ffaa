"""Describe (the paper's MMDM): a text, an image or a video -> MusicDescription (the text bridge).

Names load on first use (PEP 562), so a text request never imports OpenCV or PyAV:

- visual analysis: ``analyze_image``, ``describe_image``, ``load_image``, ``analyze_video``,
  ``describe_video``, ``ImageFeatures``, ``VideoFeatures``, ``plot_analysis``;
- text: ``describe_text``; the sentence writer every describer shares: ``write_sentence``,
  ``apply_user_attributes``, ``suggest_instruments``;
- the optional vision-language-model describer and its LoRA fine-tuning (transformers and peft
  load lazily): ``VlmDescriber``, ``parse_output``, ``train_lora``.
"""

from __future__ import annotations

from vmb import lazy_exports

_HOMES = {
    "analyze_image": ".image", "describe_image": ".image", "load_image": ".image",
    "plot_analysis": ".plot",
    "VideoFeatures": ".video", "analyze_video": ".video", "describe_video": ".video",
    "ImageFeatures": ".visual",
    "describe_text": ".text",
    "apply_user_attributes": ".writer", "suggest_instruments": ".writer", "write_sentence": ".writer",
    "train_lora": ".lora",
    "VlmDescriber": ".vlm", "parse_output": ".vlm",
}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
