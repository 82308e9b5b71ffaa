# Visual analysis backend (images and videos -> MusicDescription).
from .image import analyze_image, describe_image, load_image
from .plot import plot_analysis
from .video import VideoFeatures, analyze_video, describe_video
from .visual import ImageFeatures

# Text input -> MusicDescription, and the sentence writer every describer shares.
from .text import describe_text
from .writer import apply_user_attributes, suggest_instruments, write_sentence

# Optional vision-language-model describer and its LoRA fine-tuning (transformers/peft load lazily).
from .lora import train_lora
from .vlm import VlmDescriber, parse_output
