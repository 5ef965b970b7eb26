/** Building blocks shared by the models (torch.nn counterparts), loaded by their state_dict names. */
package dev.cogvideox.model.nn;
