"""TRL trains on `store.dataset()` as it is: store -> DatasetDict -> DPOTrainer, no file written.

No model is downloaded: a tokenizer is trained here on the dataset's own texts (the
`tokenizers` library) and a 2-layer Llama with a hidden size of 16 is initialised at random,
saved to a folder and handed to DPOTrainer by path, as a user hands it a model name. A few
steps of training and one evaluation run on CPU in seconds.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from prefstore import ExportOptions, PreferenceStore
from prefstore.sample_data import SampleSpec, write_nat_eval

torch = pytest.importorskip("torch")
trl = pytest.importorskip("trl")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

CHAT_TEMPLATE = ("{% for m in messages %}<s>{{ m['role'] }}\n{{ m['content'] }}</s>{% endfor %}"
                 "{% if add_generation_prompt %}<s>assistant\n{% endif %}")


def tiny_model(folder: Path, texts) -> Path:
    """A BPE tokenizer trained on `texts` and a random 2-layer Llama, saved to `folder`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    bpe.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<unk>", "<pad>", "<s>", "</s>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="<unk>", pad_token="<pad>",
                                        bos_token="<s>", eos_token="</s>")
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=16, intermediate_size=32, num_hidden_layers=2,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("style,spec", [
    ("conversational", SampleSpec(n_items=12, turns_per_item=2, seed=7)),
    ("standard", SampleSpec(n_items=12, turns_per_item=2, seed=8, message_prompt_ratio=0.0)),
])
def test_dpo_trainer_runs_on_store_dataset(tmp_path, monkeypatch, style, spec):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    write_nat_eval(tmp_path / "run.json", spec)
    with PreferenceStore(tmp_path / "store.duckdb") as store:
        store.ingest_nat_eval(tmp_path / "run.json", run_id="r1")
        ds = store.dataset(options=ExportOptions(format="trl", prompt_style=style, max_pairs=40, seed=1))
    assert list(ds) == ["train", "test"] and ds["train"].num_rows + ds["test"].num_rows == 40

    def texts():
        for split in ds.values():
            for row in split:
                for key in ("prompt", "chosen", "rejected"):
                    value = row[key]
                    yield from ([m["content"] for m in value] if isinstance(value, list) else [value])

    model = tiny_model(tmp_path / "tiny", texts())
    args = trl.DPOConfig(output_dir=str(tmp_path / "dpo"), max_steps=3, per_device_train_batch_size=4,
                         per_device_eval_batch_size=4, learning_rate=1e-3, logging_steps=1, save_strategy="no",
                         report_to="none", use_cpu=True, max_length=128, seed=0, dataloader_num_workers=0,
                         disable_tqdm=True)
    trainer = trl.DPOTrainer(model=str(model), args=args,
                             processing_class=transformers.AutoTokenizer.from_pretrained(model),
                             train_dataset=ds["train"], eval_dataset=ds["test"])
    assert trainer.train_dataset.num_rows == ds["train"].num_rows      # every pair tokenized, none dropped
    result = trainer.train()
    assert result.global_step == 3 and math.isfinite(result.training_loss)
    metrics = trainer.evaluate()
    assert math.isfinite(metrics["eval_loss"]) and metrics["eval_samples_per_second"] > 0
