"""A labelled set of images and videos for the visual describer, built by code (nothing downloaded).

Each item carries the label a person would give *before* looking at vmb's output: the
valence sign (+ pleasant / - unpleasant), the arousal sign (+ excited / - calm) and a tempo
class (slow / medium / fast). Sources:

- synthetic scenes drawn with numpy/OpenCV (night sky, night city, neon city, sunset, overcast,
  rainy city, sunny beach, snow, forest, meadow, festival, fire, storm, underwater, foggy
  forest, toys, candle-lit room), two random variants each;
- scikit-image's bundled photos, labelled by looking at them;
- transformed variants (darkened / desaturated / blue-shifted copies of bright pictures), all
  labelled "- -, slow": they should move towards low valence;
- synthetic videos as frame lists at 2 fps: static, slow pan, cuts every 10 s, many cuts, action.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

H, W = 360, 480


@dataclass
class Item:
    name: str
    image: np.ndarray | None  # RGB uint8 (H, W, 3); None for videos
    valence: str  # "+" | "-"
    arousal: str  # "+" | "-"
    tempo: str  # "slow" | "medium" | "fast"
    group: str  # "synthetic" | "photo" | "transformed" | "video"
    frames: list[np.ndarray] = field(default_factory=list)
    times_s: list[float] = field(default_factory=list)
    cuts_s: list[float] = field(default_factory=list)
    duration_s: float = 0.0


# --------------------------------------------------------------------------- drawing helpers


def gradient(top, bottom, h=H, w=W) -> np.ndarray:
    t = np.linspace(0, 1, h)[:, None, None]
    return ((1 - t) * np.array(top, float) + t * np.array(bottom, float)).repeat(w, 1)


def noise(img: np.ndarray, rng, amount: float) -> np.ndarray:
    return img + rng.normal(0, amount, img.shape)


def blotches(h, w, rng, scale=12) -> np.ndarray:
    """Smooth random texture 0..1 (leaves, clouds, waves)."""
    small = rng.random((max(2, h // scale), max(2, w // scale)))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def finish(img: np.ndarray) -> np.ndarray:
    return np.clip(img, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- scenes


def night_sky(rng):
    img = gradient((4, 6, 22), (18, 22, 48))
    for _ in range(220):
        y, x = rng.integers(0, H), rng.integers(0, W)
        cv2.circle(img, (int(x), int(y)), int(rng.integers(0, 2)), (235, 235, 255), -1)
    cv2.circle(img, (int(rng.integers(60, W - 60)), int(rng.integers(40, 120))), 22, (230, 230, 210), -1)
    img[int(H * 0.85):] = (8, 8, 12)  # dark ground
    return finish(img)


def night_city(rng):
    img = gradient((8, 10, 30), (25, 25, 45))
    x = 0
    while x < W:
        bw, top = int(rng.integers(40, 90)), int(rng.integers(80, 220))
        img[top:, x:x + bw] = rng.integers(20, 40)
        for wy in range(top + 8, H - 10, 16):
            for wx in range(x + 6, x + bw - 8, 12):
                if rng.random() < 0.45:
                    img[wy:wy + 7, wx:wx + 5] = (255, 215, 120)
        x += bw + int(rng.integers(2, 8))
    for lx in range(20, W, 70):  # street lights
        cv2.circle(img, (lx, H - 40), 4, (255, 240, 180), -1)
    return finish(noise(img, rng, 3))


def neon_city(rng):
    img = np.full((H, W, 3), 10.0)
    colours = [(255, 30, 200), (30, 240, 255), (160, 60, 255), (255, 60, 90)]
    for _ in range(40):
        c = colours[int(rng.integers(len(colours)))]
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        if rng.random() < 0.5:
            cv2.rectangle(img, (x, y), (x + int(rng.integers(20, 120)), y + int(rng.integers(10, 60))), c, 3)
        else:
            cv2.line(img, (x, y), (x + int(rng.integers(-150, 150)), y), c, 4)
    img = cv2.add(img, cv2.GaussianBlur(img, (0, 0), 6))  # glow
    return finish(noise(img, rng, 4))


def sunset(rng):
    horizon = int(H * rng.uniform(0.55, 0.65))
    sky = gradient((90, 40, 110), (255, 150, 40), h=horizon)
    sea = gradient((150, 70, 40), (30, 15, 30), h=H - horizon)
    img = np.concatenate([sky, sea])
    cv2.circle(img, (int(rng.integers(120, W - 120)), horizon - 20), 34, (255, 220, 120), -1)
    return finish(noise(img, rng, 2))


def overcast(rng):
    horizon = int(H * rng.uniform(0.45, 0.6))
    img = np.concatenate([gradient((175, 178, 182), (150, 152, 155), h=horizon),
                          gradient((95, 100, 92), (70, 74, 68), h=H - horizon)])
    img += 12 * blotches(H, W, rng, 40)[..., None]
    return finish(noise(img, rng, 2))


def rainy_city(rng):
    img = gradient((120, 128, 138), (80, 86, 95))
    x = 0
    while x < W:
        bw, top = int(rng.integers(50, 100)), int(rng.integers(60, 200))
        img[top:, x:x + bw] = rng.integers(60, 95)
        x += bw + 4
    for _ in range(400):
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        cv2.line(img, (x, y), (x - 4, y + 14), (170, 175, 185), 1)
    return finish(noise(img, rng, 3))


def sunny_beach(rng, umbrellas=True):
    sky_h, sea_h = int(H * 0.38), int(H * rng.uniform(0.18, 0.25))
    img = np.concatenate([gradient((70, 150, 235), (150, 205, 250), h=sky_h),
                          gradient((20, 120, 190), (60, 180, 200), h=sea_h),
                          gradient((235, 215, 165), (215, 190, 140), h=H - sky_h - sea_h)])
    cv2.circle(img, (int(rng.integers(40, W - 40)), 45), 26, (255, 250, 220), -1)
    if umbrellas:
        for _ in range(4):
            c = [(240, 50, 50), (250, 200, 30), (40, 160, 240), (250, 110, 180)][int(rng.integers(4))]
            x, y = int(rng.integers(30, W - 30)), int(rng.integers(sky_h + sea_h + 30, H - 40))
            cv2.ellipse(img, (x, y), (34, 16), 0, 180, 360, c, -1)
            cv2.line(img, (x, y), (x, y + 40), (90, 70, 50), 2)
    return finish(noise(img, rng, 3))


def snow(rng):
    horizon = int(H * rng.uniform(0.35, 0.5))
    img = np.concatenate([gradient((200, 212, 228), (228, 232, 238), h=horizon),
                          gradient((245, 246, 250), (225, 230, 240), h=H - horizon)])
    for _ in range(int(rng.integers(3, 8))):
        x = int(rng.integers(0, W))
        pts = np.array([[x, horizon - 60], [x - 22, horizon + 10], [x + 22, horizon + 10]], np.int32)
        cv2.fillPoly(img, [pts], (40, 60, 50))
    return finish(noise(img, rng, 2))


def forest(rng, light=1.0):
    leaves = blotches(H, W, rng, 8)[..., None]
    img = (1 - leaves) * np.array([30, 90, 30]) + leaves * np.array([110, 190, 70])
    for _ in range(int(rng.integers(5, 10))):
        x = int(rng.integers(0, W))
        img[int(H * 0.3):, x:x + int(rng.integers(8, 18))] = (80, 55, 35)
    return finish(noise(img * light, rng, 6))


def meadow(rng):
    horizon = int(H * 0.4)
    img = np.concatenate([gradient((90, 160, 240), (170, 210, 245), h=horizon),
                          gradient((110, 190, 60), (80, 160, 40), h=H - horizon)])
    for _ in range(250):
        c = [(250, 60, 60), (250, 220, 40), (250, 250, 250), (230, 90, 200)][int(rng.integers(4))]
        cv2.circle(img, (int(rng.integers(0, W)), int(rng.integers(horizon + 5, H))), 3, c, -1)
    return finish(noise(img, rng, 4))


def festival(rng):
    img = np.full((H, W, 3), 245.0)
    for _ in range(260):
        c = tuple(float(v) for v in rng.permutation([255, int(rng.integers(0, 120)), int(rng.integers(120, 255))]))
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        cv2.circle(img, (x, y), int(rng.integers(3, 14)), c, -1)
    return finish(img)


def fire(rng):
    t = blotches(H, W, rng, 6) * np.linspace(0.3, 1.3, H)[:, None]
    t = np.clip(t, 0, 1)[..., None]
    img = np.where(t < 0.35, t / 0.35 * np.array([120, 10, 0]),
                   np.array([120, 10, 0]) + (t - 0.35) / 0.65 * np.array([135, 220, 120]))
    return finish(noise(img, rng, 6))


def storm(rng):
    img = gradient((35, 38, 48), (60, 62, 70)) + 25 * blotches(H, W, rng, 30)[..., None]
    x, y = int(rng.integers(100, W - 100)), 0
    while y < H * 0.8:  # a jagged lightning bolt
        nx, ny = x + int(rng.integers(-25, 25)), y + int(rng.integers(15, 35))
        cv2.line(img, (x, y), (nx, ny), (245, 245, 255), 3)
        x, y = nx, ny
    for _ in range(300):
        x, y = int(rng.integers(0, W)), int(rng.integers(0, H))
        cv2.line(img, (x, y), (x - 5, y + 18), (120, 125, 140), 1)
    return finish(noise(img, rng, 4))


def underwater(rng):
    img = gradient((40, 170, 200), (5, 50, 90))
    for _ in range(30):
        cv2.circle(img, (int(rng.integers(0, W)), int(rng.integers(0, H))), int(rng.integers(2, 7)),
                   (190, 235, 245), 1)
    return finish(noise(img + 15 * blotches(H, W, rng, 25)[..., None], rng, 2))


def foggy_forest(rng):
    img = gradient((165, 170, 168), (120, 125, 120))
    for _ in range(12):
        x = int(rng.integers(0, W))
        shade = rng.uniform(90, 140)
        img[int(H * 0.15):, x:x + int(rng.integers(6, 16))] = (shade, shade + 5, shade)
    return finish(noise(img, rng, 3))


def toys(rng):
    img = np.full((H, W, 3), 235.0)
    for _ in range(25):
        c = [(230, 30, 30), (30, 80, 230), (250, 210, 20), (30, 180, 60)][int(rng.integers(4))]
        x, y, s = int(rng.integers(0, W)), int(rng.integers(0, H)), int(rng.integers(15, 45))
        cv2.rectangle(img, (x, y), (x + s, y + s), c, -1)
    return finish(img)


def candle_room(rng):
    img = np.full((H, W, 3), 14.0)
    cx, cy = int(rng.integers(150, W - 150)), int(H * 0.5)
    yy, xx = np.mgrid[0:H, 0:W]
    glow = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 90.0 ** 2))[..., None]
    img = img + glow * np.array([170, 95, 35])
    cv2.ellipse(img, (cx, cy - 30), (6, 14), 0, 0, 360, (255, 230, 150), -1)
    img[cy - 16:cy + 60, cx - 10:cx + 10] = (225, 210, 185)
    return finish(noise(img, rng, 2))


# name -> (generator, valence, arousal, tempo): labels written before running the describer
SCENES = {
    "night sky": (night_sky, "-", "-", "slow"),
    "night city": (night_city, "-", "-", "medium"),
    "neon city": (neon_city, "-", "+", "fast"),
    "sunset": (sunset, "+", "-", "slow"),
    "overcast": (overcast, "-", "-", "slow"),
    "rainy city": (rainy_city, "-", "-", "slow"),
    "sunny beach": (sunny_beach, "+", "+", "medium"),
    "snow": (snow, "+", "-", "slow"),
    "forest": (forest, "+", "-", "slow"),
    "meadow": (meadow, "+", "+", "medium"),
    "festival": (festival, "+", "+", "fast"),
    "fire": (fire, "-", "+", "fast"),
    "storm": (storm, "-", "+", "fast"),
    "underwater": (underwater, "+", "-", "slow"),
    "foggy forest": (foggy_forest, "-", "-", "slow"),
    "toys": (toys, "+", "+", "fast"),
    "candle room": (candle_room, "+", "-", "slow"),
}

# scikit-image photo -> (valence, arousal, tempo), labelled by looking at the photos
PHOTOS = {
    "astronaut": ("+", "+", "medium"),  # smiling astronaut, flag, orange suit
    "coffee": ("+", "-", "slow"),  # espresso cup on a wooden table
    "chelsea": ("+", "-", "slow"),  # close-up of a tabby cat
    "rocket": ("+", "-", "medium"),  # launch pad at dusk, calm before the launch
    "coins": ("-", "-", "slow"),  # old grey coins
    "camera": ("-", "-", "slow"),  # black-and-white cameraman
    "moon": ("-", "-", "slow"),  # grey lunar surface
    "hubble_deep_field": ("-", "-", "slow"),  # dark space with faint galaxies
}


def darken(img, factor=0.35):
    return finish(255.0 * (img / 255.0) ** 1.6 * factor)


def desaturate_dark(img):
    grey = img.mean(2, keepdims=True)
    return darken(0.2 * img + 0.8 * grey, 0.55)


def blue_shift_dark(img):
    return darken(img * np.array([0.55, 0.75, 1.25]), 0.5)


def photo(name: str) -> np.ndarray:
    import skimage.data

    img = getattr(skimage.data, name)()
    return np.repeat(img[..., None], 3, 2) if img.ndim == 2 else img[..., :3]


def image_items(variants: int = 2) -> list[Item]:
    items = []
    for name, (gen, v, a, tempo) in SCENES.items():
        for k in range(variants):
            items.append(Item(f"{name} #{k + 1}", gen(np.random.default_rng(100 + k)), v, a, tempo, "synthetic"))
    for name, (v, a, tempo) in PHOTOS.items():
        items.append(Item(name, photo(name), v, a, tempo, "photo"))
    rng = np.random.default_rng(7)
    for name, img in [("astronaut darkened", darken(photo("astronaut"))),
                      ("coffee desaturated+dark", desaturate_dark(photo("coffee"))),
                      ("chelsea blue-shifted+dark", blue_shift_dark(photo("chelsea"))),
                      ("beach darkened", darken(sunny_beach(rng))),
                      ("meadow desaturated+dark", desaturate_dark(meadow(rng))),
                      ("festival blue-shifted+dark", blue_shift_dark(festival(rng)))]:
        items.append(Item(name, img, "-", "-", "slow", "transformed"))
    return items


# --------------------------------------------------------------------------- videos


def _video(name, shots, v, a, tempo, *, shot_s, duration_s=60.0, fps=2.0, speed=0.0, bounce=0.0) -> Item:
    """Frames (160x120) cycling through ``shots`` every ``shot_s`` seconds; ``speed`` pans in
    frame widths per second, ``bounce`` shakes the camera by that fraction each frame."""
    frames, times, cuts = [], [], []
    rng = np.random.default_rng(len(name))
    n = int(duration_s * fps)
    for i in range(n):
        t = i / fps
        shot = int(t // shot_s)
        if shot > 0 and (i == 0 or int((i - 1) / fps // shot_s) != shot):
            cuts.append(round(shot * shot_s, 3))
        big = shots[shot % len(shots)]
        wide = np.concatenate([big, big[:, ::-1]], axis=1)  # room to pan
        x = int((speed * (t - shot * shot_s) * W) % W)
        if bounce:
            x = int((x + rng.integers(-1, 2) * bounce * W) % W)
        crop = wide[:, x:x + W]
        frames.append(cv2.resize(crop, (160, 120), interpolation=cv2.INTER_AREA))
        times.append(t)
    return Item(name, None, v, a, tempo, "video", frames=frames, times_s=times, cuts_s=cuts, duration_s=duration_s)


def video_items() -> list[Item]:
    r = np.random.default_rng
    calm = [sunset(r(1)), snow(r(2)), underwater(r(3)), forest(r(4))]
    lively = [festival(r(5)), sunny_beach(r(6)), toys(r(7)), meadow(r(8))]
    dark = [neon_city(r(9)), fire(r(10)), storm(r(11)), night_city(r(12))]
    return [
        _video("static sunset", calm[:1], "+", "-", "slow", shot_s=60.0),
        _video("slow pan over snow", calm[1:2], "+", "-", "slow", shot_s=60.0, speed=0.01),
        _video("calm shots every 10 s", calm, "+", "-", "slow", shot_s=10.0, speed=0.005),
        _video("lively shots every 6 s", lively, "+", "+", "medium", shot_s=6.0, speed=0.03),
        _video("lively, cuts every 2 s, motion", lively, "+", "+", "fast", shot_s=2.0, speed=0.15),
        _video("action, cuts every 1.5 s, shaky", dark, "-", "+", "fast", shot_s=1.5, speed=0.2, bounce=0.05),
        _video("dark static", dark[3:], "-", "-", "slow", shot_s=60.0),
    ]
