"""The one URL converter of our own: the secret tokens in private addresses (calendar feeds,
rater links, bulk changes and imports awaiting confirmation). URL-safe characters and bounded
length, so nothing longer than a real token reaches a lookup or a cache key."""

from django.urls import register_converter


class Token:
    regex = "[-A-Za-z0-9_]{8,86}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(Token, "token")
