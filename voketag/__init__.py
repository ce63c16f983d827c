"""Shared runtime of the VokeTag mesh: settings, storage, RPC bootstrap, auth, errors."""

from pathlib import Path

# protoc lays the generated stubs out by proto package (voketag/<area>/v1); they live in gen/ so that
# regeneration never touches hand-written code, and join this package here.
__path__.append(str(Path(__file__).resolve().parent.parent / "gen" / "voketag"))
