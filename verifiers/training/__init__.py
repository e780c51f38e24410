"""Verified training: BRAIN's committee-scored asynchronous federated learning with PoLe's SML.

data      the digits split across nodes non-IID (Dirichlet, alpha 3.0)
weights   Q16 integer weights, their canonical file and sha256 commitment
sml       the Secure Mapping Layer, derived from (round seed, trainer)
learn     the architecture, local training (numpy), scoring with the exact profile
update    BRAIN's w_g <- (1 - a) w_g + a w_local, in integers
store     weights files in verifiers.store, addressed by sha256 (a directory by default)
"""
