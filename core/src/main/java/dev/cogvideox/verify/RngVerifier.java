package dev.cogvideox.verify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cogvideox.random.TorchGenerator;

/**
 * Cases of component {@code rng}: for each entry of {@code arguments.draws}, a {@link TorchGenerator} seeded with
 * {@code seed} draws {@code out.randn.<index>} and then, from the same generator, {@code out.randn_second.<index>}.
 */
public final class RngVerifier implements ComponentVerifier {
    @Override
    public String component() {
        return "rng";
    }

    @Override
    public void verify(GoldenCase c, Checker checker) {
        JsonNode draws = c.spec().path("arguments").path("draws");
        if (!draws.isArray() || draws.isEmpty()) {
            throw new IllegalArgumentException(c.jsonPath() + ": arguments.draws is missing or empty");
        }
        for (JsonNode draw : draws) {
            int index = draw.path("index").asInt();
            int[] shape = new int[draw.path("shape").size()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = draw.path("shape").get(d).asInt();
            }
            TorchGenerator g = new TorchGenerator(draw.path("seed").asLong());
            checker.check("out.randn." + index, g.randn(shape));
            checker.check("out.randn_second." + index, g.randn(shape));
        }
    }
}
