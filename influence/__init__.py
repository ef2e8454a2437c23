"""influence: find vendor gifts traded for promotion in public-records email dumps."""

from influence.env import keep_torch_out_of_thinc, set_offline

set_offline()
keep_torch_out_of_thinc()

__version__ = "0.1.0"

__all__ = ["__version__", "iter_messages", "load_model", "score_paths", "train", "evaluate"]


def __getattr__(name: str):  # lazy: `influence --help` should not import spaCy and sklearn
    if name == "iter_messages":
        from influence.readers import iter_messages

        return iter_messages
    if name == "load_model":
        from influence.model import load_model

        return load_model
    if name == "score_paths":
        from influence.pipeline import score_paths

        return score_paths
    if name == "train":
        from influence.training import train

        return train
    if name == "evaluate":
        from influence.evaluate import evaluate

        return evaluate
    raise AttributeError(name)
