"""The twin's model directory, generated (never downloaded): a small config and a word-level tokenizer.

The mocker answers with token ids 1000-1999 (ai-dynamo 1.3 mocker); a vocabulary covering them makes its answers
decode to non-empty text, which the smoke client requires. Words are `w<id>`: the answer is visibly synthetic.
The frontend reads these files from the mocker itself (DYN_SELF_HOST_METADATA), as it would read a real
checkpoint's from the cache.
"""

import json
from pathlib import Path
from typing import Any

VOCAB_SIZE = 2048
"""Covers the mocker's output ids (1000-1999) with room to spare."""
SPECIAL = ("<unk>", "<s>", "</s>")
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
CONTEXT_LENGTH = 32768


def tokenizer() -> dict[str, Any]:
    """A Hugging Face `tokenizers` JSON: WordLevel over whitespace, `<unk>` for any word it does not know."""
    vocab = {token: i for i, token in enumerate(SPECIAL)}
    vocab.update({f"w{i}": i for i in range(len(SPECIAL), VOCAB_SIZE)})
    added = [
        {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False}
        | {"special": True}
        for i, t in enumerate(SPECIAL)
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},  # joins words with spaces
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": SPECIAL[0]},
    }


def files() -> dict[str, dict[str, Any]]:
    """File name to JSON content. A small Llama-shaped config: the mocker sizes its KV cache from it."""
    return {
        "config.json": {
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": 256,
            "intermediate_size": 512,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
            "head_dim": 64,
            "vocab_size": VOCAB_SIZE,
            "max_position_embeddings": CONTEXT_LENGTH,
            "bos_token_id": 1,
            "eos_token_id": 2,
            "torch_dtype": "bfloat16",
        },
        "generation_config.json": {"bos_token_id": 1, "eos_token_id": 2},
        "tokenizer.json": tokenizer(),
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "bos_token": SPECIAL[1],
            "eos_token": SPECIAL[2],
            "unk_token": SPECIAL[0],
            "model_max_length": CONTEXT_LENGTH,
            "chat_template": CHAT_TEMPLATE,
        },
    }


def write(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files().items():
        (directory / name).write_text(json.dumps(content, indent=1) + "\n")
    return directory
