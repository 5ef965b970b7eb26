package dev.cogvideox.data.rules;

import java.io.Serializable;
import java.util.List;

/** The rules' verdict on a clip: the tags of the rules it failed (none: kept), each with its reason, in rule order. */
public record Verdict(List<String> tags, List<String> reasons) implements Serializable {
    public boolean kept() {
        return tags.isEmpty();
    }
}
