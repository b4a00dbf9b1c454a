"""Training, evaluation and calibration of the learned scorer (`vibe-router train|eval|calibrate`).

Training and evaluation need numpy and scipy (matplotlib for the plot; scikit-learn is the
reference a test checks the fit against); the scorer itself (`vibe_router.scoring.learned`)
needs only the standard library.
"""
