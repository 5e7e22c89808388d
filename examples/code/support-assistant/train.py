"""LoRA fine-tuning of the support assistant: the reference platform's training script.

Runs under torchrun (Kubernetes: Kubeflow Trainer's torch-distributed runtime; SageMaker: the
PyTorch/Hugging Face training container), one process per GPU. The preprocess step writes the base
model and the transcripts into the train channel (training is network-isolated: nothing is
downloaded): <train>/base_model/ (a Hugging Face model directory) and <train>/*.jsonl with a "text"
field; the validation channel holds *.jsonl too. The merged model is written to SM_MODEL_DIR.
"""
import argparse
import glob
import os

import torch
from datasets import load_dataset
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM, AutoTokenizer, DataCollatorForLanguageModeling, Trainer, TrainingArguments

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=float, default=1)
parser.add_argument("--learning_rate", type=float, default=2e-5)
parser.add_argument("--per_device_train_batch_size", type=int, default=4)
parser.add_argument("--lora_r", type=int, default=16)
args, _ = parser.parse_known_args()

train_dir = os.environ["SM_CHANNEL_TRAIN"]
validation_dir = os.environ["SM_CHANNEL_VALIDATION"]
model_dir = os.environ["SM_MODEL_DIR"]
base_model = os.path.join(train_dir, "base_model")

tokenizer = AutoTokenizer.from_pretrained(base_model)
tokenizer.pad_token = tokenizer.pad_token or tokenizer.eos_token
data = load_dataset("json", data_files={"train": glob.glob(f"{train_dir}/*.jsonl"), "validation": glob.glob(f"{validation_dir}/*.jsonl")})
data = data.map(lambda batch: tokenizer(batch["text"], truncation=True, max_length=2048), batched=True, remove_columns=["text"])

model = AutoModelForCausalLM.from_pretrained(base_model, torch_dtype=torch.bfloat16)
model = get_peft_model(model, LoraConfig(r=args.lora_r, lora_alpha=2 * args.lora_r, lora_dropout=0.05, task_type="CAUSAL_LM"))

trainer = Trainer(
    model=model,
    args=TrainingArguments(
        output_dir="/tmp/checkpoints",
        num_train_epochs=args.epochs,
        learning_rate=args.learning_rate,
        per_device_train_batch_size=args.per_device_train_batch_size,
        bf16=True,
        eval_strategy="epoch",
        save_strategy="no",
        report_to=[],
    ),
    train_dataset=data["train"],
    eval_dataset=data["validation"],
    data_collator=DataCollatorForLanguageModeling(tokenizer, mlm=False),
)
trainer.train()
if trainer.is_world_process_zero():
    trainer.model.merge_and_unload().save_pretrained(model_dir, safe_serialization=True)
    tokenizer.save_pretrained(model_dir)
