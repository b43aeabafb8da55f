"""Chinese word segmentation (jieba), shared by search, recurrence detection and later the
knowledge base."""

import logging
import threading

from django.conf import settings

_jieba = None
_jieba_lock = threading.Lock()


def segmenter():
    """jieba, loaded once per process on first use (1–2 s, ~60 MB), quiet, with its
    dictionary cache in the data directory rather than in /tmp."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                data_dir = getattr(settings, "DATA_DIR", None)
                if data_dir is not None:
                    jieba.dt.tmp_dir = str(data_dir)
                    jieba.dt.cache_file = "jieba.cache"
                jieba.initialize()
                _jieba = jieba
    return _jieba
