"""Reference implementation of the assignment's three endpoints, written the way the
original design describes it: FastAPI + uvicorn (one worker), pyotp for TOTP and
cryptography for RSA-OAEP. The seed is read from DATA_DIR/seed.txt on each request,
as that design does; the private key is loaded once at start.

Run: /usr/bin/python3 -m uvicorn app:app --host 127.0.0.1 --port 8000 --workers 1
"""
import base64
import os
import re
import time

import pyotp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel

DATA_DIR = os.environ.get("DATA_DIR", "/data")
KEYS_DIR = os.environ.get("KEYS_DIR", "keys")
SEED_PATH = os.path.join(DATA_DIR, "seed.txt")

with open(os.path.join(KEYS_DIR, "student_private.pem"), "rb") as f:
    PRIVATE_KEY = serialization.load_pem_private_key(f.read(), password=None)

app = FastAPI()


class SeedRequest(BaseModel):
    encrypted_seed: str


class CodeRequest(BaseModel):
    code: str | None = None


def decrypt_seed(encrypted_seed_b64: str) -> str:
    ciphertext = base64.b64decode(encrypted_seed_b64)
    plaintext = PRIVATE_KEY.decrypt(
        ciphertext,
        padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    seed = plaintext.decode("utf-8")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", seed):
        raise ValueError("invalid seed")
    return seed.lower()


def totp_for(hex_seed: str) -> pyotp.TOTP:
    secret = base64.b32encode(bytes.fromhex(hex_seed)).decode("utf-8")
    return pyotp.TOTP(secret, digits=6, interval=30)


def read_seed() -> str | None:
    try:
        with open(SEED_PATH) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None


@app.post("/decrypt-seed")
def post_decrypt_seed(body: SeedRequest):
    try:
        seed = decrypt_seed(body.encrypted_seed)
    except Exception:
        return JSONResponse(status_code=500, content={"error": "Decryption failed"})
    os.makedirs(DATA_DIR, exist_ok=True)
    with open(SEED_PATH, "w") as f:
        f.write(seed)
    return {"status": "ok"}


@app.get("/generate-2fa")
def get_generate():
    seed = read_seed()
    if seed is None:
        return JSONResponse(status_code=500, content={"error": "Seed not decrypted yet"})
    code = totp_for(seed).now()
    valid_for = 30 - int(time.time()) % 30
    return {"code": code, "valid_for": valid_for}


@app.post("/verify-2fa")
def post_verify(body: CodeRequest):
    if not body.code:
        return JSONResponse(status_code=400, content={"error": "Missing code"})
    seed = read_seed()
    if seed is None:
        return JSONResponse(status_code=500, content={"error": "Seed not decrypted yet"})
    return {"valid": totp_for(seed).verify(body.code, valid_window=1)}


@app.get("/health")
def get_health():
    return {"status": "ok"}
