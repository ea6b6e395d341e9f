"""An upload's way to a photo: checked in the request without decoding, decoded once by a worker."""
