package dev.cogvideox.verify;

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
        SpecNode args = c.arguments();
        SpecNode draws = args.get("draws");
        if (!c.function().startsWith("torch.randn(") || draws.size() == 0) {
            throw new IllegalArgumentException(c.jsonPath() + ": expected torch.randn draws in arguments.draws");
        }
        // the two output-naming keys document where each draw's results are stored, which is how they are read below
        args.get("out.randn.<i>").asText();
        args.get("out.randn_second.<i>").asText();
        for (SpecNode draw : draws) {
            int index = draw.get("index").asInt();
            int[] shape = new int[draw.get("shape").size()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = draw.get("shape").at(d).asInt();
            }
            TorchGenerator g = new TorchGenerator(draw.get("seed").asLong());
            checker.check("out.randn." + index, g.randn(shape));
            checker.check("out.randn_second." + index, g.randn(shape));
        }
    }
}
