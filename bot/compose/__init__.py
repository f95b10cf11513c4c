"""Composer: pure text from stories to platform-native posts."""

from bot.compose.xtext import weighted_length

__all__ = ["weighted_length"]
