"""Traces Stable-Baselines3's A2C on rl-zoo's MountainCar-v0 entry, update by update, for the one-update
comparison with ours (bench/a2c-trace.mjs replays this file through policygrad and compares every number).

The run is the zoo's (make_vec_env with 16 envs seeded SEED, VecNormalize with its defaults, A2C('MlpPolicy',
ent_coef=0.0), SB3's defaults otherwise) for UPDATES updates of 16 × 5 steps. Recorded, without changing what SB3
computes (wrappers and hooks only):
- the stream: every reset's and step's raw observations, the actions SB3 sampled, raw rewards, dones, the
  truncation flags and raw terminal observations (a recording VecEnvWrapper under VecNormalize);
- the initial parameters, in policygrad's layout (actor: policy_net.0, policy_net.2, action_net; then critic:
  value_net.0, value_net.2, value_net; each weight row-major [out, in] then its bias);
- per update: VecNormalize's statistics after the collection, the losses SB3 logs, the global gradient norm
  clip_grad_norm_ returns, and the parameters after RMSprop's step (their norm after every update; all
  of them, with RMSprop's square averages, after the first 5, every 25th and the updates in DETAIL); for the updates in DETAIL also the rollout
  buffer (normalised observations, rewards with γ·V(terminal) added at truncations, values, returns,
  advantages), the parameters and RMSprop's square averages the update starts from (the collection used those
  parameters too), and the gradient before and after clipping.

Usage: OMP_NUM_THREADS=1 PYTHONPATH=<SB3 sources> python3 bench/lib/sb3_a2c_trace.py SEED UPDATES OUT.json
(measured with Debian 12's python3-torch 1.13.1, Gymnasium 0.29.1, stable-baselines3 2.3.2).
"""
import json
import sys

import numpy as np
import torch as th
from stable_baselines3 import A2C
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecEnvWrapper, VecNormalize

LAYOUT = [
    "mlp_extractor.policy_net.0",
    "mlp_extractor.policy_net.2",
    "action_net",
    "mlp_extractor.value_net.0",
    "mlp_extractor.value_net.2",
    "value_net",
]


class Recorder(VecEnvWrapper):
    """Keeps what the raw vector env returns, before VecNormalize sees it."""

    def __init__(self, venv):
        super().__init__(venv)
        self.resets, self.steps, self.actions = [], [], None

    def reset(self):
        obs = self.venv.reset()
        self.resets.append({"step": len(self.steps), "obs": obs.tolist()})
        return obs

    def step_async(self, actions):
        self.actions = np.asarray(actions).tolist()
        self.venv.step_async(actions)

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        self.steps.append(
            {
                "actions": self.actions,
                "obs": obs.tolist(),
                "rewards": rewards.tolist(),
                "dones": dones.tolist(),
                "truncated": [bool(i.get("TimeLimit.truncated", False)) for i in infos],
                "terminal": [i["terminal_observation"].tolist() if "terminal_observation" in i else None for i in infos],
            }
        )
        return obs, rewards, dones, infos


def flat(policy, grads=False):
    named = dict(policy.named_parameters())
    parts = []
    for layer in LAYOUT:
        for kind in ("weight", "bias"):
            p = named[f"{layer}.{kind}"]
            t = p.grad if grads else p.data
            parts.append(t.detach().reshape(-1).numpy().astype(np.float64))
    return np.concatenate(parts).tolist()


def square_averages(model):
    """RMSprop's running average of g² per parameter, in the same layout (zeros before the first step)."""
    named = dict(model.policy.named_parameters())
    state = model.policy.optimizer.state
    parts = []
    for layer in LAYOUT:
        for kind in ("weight", "bias"):
            p = named[f"{layer}.{kind}"]
            v = state[p]["square_avg"] if "square_avg" in state.get(p, {}) else th.zeros_like(p)
            parts.append(v.detach().reshape(-1).numpy().astype(np.float64))
    return np.concatenate(parts).tolist()


def rms(r):
    return {"mean": np.asarray(r.mean).reshape(-1).tolist(), "var": np.asarray(r.var).reshape(-1).tolist(), "count": float(r.count)}


def main(seed: int, updates: int, out: str) -> None:
    detail = {0, 1, 2, 39, updates - 1}
    recorder = Recorder(make_vec_env("MountainCar-v0", n_envs=16, seed=seed))
    env = VecNormalize(recorder)
    model = A2C("MlpPolicy", env, seed=seed, device="cpu", ent_coef=0.0)
    trace = {"seed": seed, "updates": [], "initialParams": flat(model.policy)}
    current = {}

    original_clip = th.nn.utils.clip_grad_norm_

    def clip(parameters, max_norm, *args, **kwargs):
        parameters = list(parameters)
        if current["detail"]:
            current["gradBefore"] = flat(model.policy, grads=True)
        total = original_clip(parameters, max_norm, *args, **kwargs)
        current["gradNorm"] = float(total)
        if current["detail"]:
            current["gradAfter"] = flat(model.policy, grads=True)
        return total

    th.nn.utils.clip_grad_norm_ = clip
    original_train = model.train

    def train():
        k = len(trace["updates"])
        current.clear()
        current["detail"] = k in detail
        current["obsRms"] = rms(env.obs_rms)
        current["retRms"] = rms(env.ret_rms)
        if current["detail"]:
            b = model.rollout_buffer
            current["observations"] = b.observations.reshape(-1).astype(np.float64).tolist()
            current["rewards"] = b.rewards.reshape(-1).astype(np.float64).tolist()
            current["values"] = b.values.reshape(-1).astype(np.float64).tolist()
            current["returns"] = b.returns.reshape(-1).astype(np.float64).tolist()
            current["advantages"] = b.advantages.reshape(-1).astype(np.float64).tolist()
            current["logProbs"] = b.log_probs.reshape(-1).astype(np.float64).tolist()
            current["paramsBefore"] = flat(model.policy)
            current["squareAveragesBefore"] = square_averages(model)
        original_train()
        values = model.logger.name_to_value
        current["policyLoss"] = float(values["train/policy_loss"])
        current["valueLoss"] = float(values["train/value_loss"])
        current["entropy"] = -float(values["train/entropy_loss"])
        params = flat(model.policy)
        current["paramNorm"] = float(np.linalg.norm(params))
        if current["detail"] or k < 5 or k % 25 == 0:
            current["params"] = params
            current["squareAverages"] = square_averages(model)
        trace["updates"].append(dict(current))

    model.train = train
    model.learn(total_timesteps=updates * 80)
    trace["resets"], trace["steps"] = recorder.resets, recorder.steps
    with open(out, "w") as f:
        json.dump(trace, f)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
