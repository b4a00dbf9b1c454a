"""Training, evaluation and calibration of the learned scorer (`vibe-router train|eval|calibrate`).

Training and evaluation need numpy and scikit-learn (and matplotlib for the plot); the
scorer itself (`vibe_router.scoring.learned`) needs only the standard library.
"""
