"""Shared by the normaliser tests: fuzz inputs made from the labelled corpus."""

from hypothesis import strategies as st


def mutations(inputs: list[str], noise: str, noise_size: int = 8) -> st.SearchStrategy[str]:
    """A corpus input cut, spliced with random text or with `noise` characters, with one part
    doubled, or upper-cased: near-misses of real inputs, where parsers break."""

    @st.composite
    def mutated(draw) -> str:
        text = draw(st.sampled_from(inputs))
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, len(text)))
        op = draw(st.sampled_from(["cut", "insert", "replace", "double", "upper"]))
        if op == "cut":
            return text[:i] + text[j:]
        if op == "insert":
            return text[:i] + draw(st.text(max_size=8)) + text[i:]
        if op == "replace":
            return text[:i] + draw(st.text(alphabet=noise, max_size=noise_size)) + text[j:]
        if op == "double":
            return text[:j] + text[i:]
        return text.upper()

    return mutated()
