"""Forming the group: which towns share one package, what each pays and gains, who agrees with
whom, and which subsets of the candidates give every town a merit. Pure Python."""
