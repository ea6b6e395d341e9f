"""Reports by people and what moderators do about them."""
