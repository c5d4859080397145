"""One seeded run of an rl-baselines3-zoo entry with the reference implementation (Stable-Baselines3 A2C/PPO,
sb3-contrib TRPO), under the protocol of bench/lib/learning.mjs: train for the zoo's n_timesteps as
`python -m rl_zoo3.train --algo ALGO --env ENV --seed SEED` would (make_vec_env seeded with SEED, VecNormalize with
the zoo's gamma when the entry says `normalize: true`), then run the final model deterministically for 20 episodes
on a fresh env seeded 10000 + SEED with the training statistics frozen and raw rewards. Prints one JSON line.

Not part of the package or its tests: it needs Python with PyTorch, Gymnasium, stable-baselines3 and sb3-contrib
(measured with Debian 12's python3-torch 1.13.1, Gymnasium 0.29.1, SB3 2.3.2, sb3-contrib 2.3.0).
LunarLander-v3 also needs pybox2d (2.3.10, built from its GitHub source with swig) and, under Gymnasium 0.29 (which
has only v2), Gymnasium 1.x's `gymnasium/envs/box2d/lunar_lander.py` saved on PYTHONPATH as `lunar_lander_v3.py`:
it is registered below as LunarLander-v3 (1000 steps, as Gymnasium 1.x registers it).
Usage: OMP_NUM_THREADS=1 python3 bench/lib/sb3_zoo.py trpo CartPole-v1 7
"""
import json
import sys
import time

import gymnasium as gym
import numpy as np
import torch
from sb3_contrib import TRPO
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

# hyperparams/{trpo,a2c}.yml of rl-baselines3-zoo (the entries src/algos/presets.ts names `zoo`)
ZOO = {
    ("trpo", "CartPole-v1"): {
        "n_envs": 2,
        "n_timesteps": 100_000,
        "normalize": False,
        "kwargs": {
            "n_steps": 512,
            "batch_size": 512,
            "cg_damping": 1e-3,
            "gae_lambda": 0.98,
            "gamma": 0.99,
            "learning_rate": 1e-3,
            "n_critic_updates": 20,
        },
    },
    ("a2c", "MountainCar-v0"): {
        "n_envs": 16,
        "n_timesteps": 1_000_000,
        "normalize": True,
        "kwargs": {"ent_coef": 0.0},
    },
}
ALGOS = {"trpo": TRPO, "a2c": A2C, "ppo": PPO}

# rl-zoo hyperparams/{a2c,trpo}.yml, LunarLander-v3 (200k steps; `lin_0.00083` is rl_zoo3's linear schedule)
ZOO[("a2c", "LunarLander-v3")] = {
    "n_envs": 8,
    "n_timesteps": 200_000,
    "normalize": False,
    "kwargs": {"gamma": 0.995, "n_steps": 5, "learning_rate": lambda progress: progress * 0.00083, "ent_coef": 1e-5},
}
ZOO[("trpo", "LunarLander-v3")] = {
    "n_envs": 2,
    "n_timesteps": 200_000,
    "normalize": False,
    "kwargs": {
        "n_steps": 512,
        "cg_damping": 0.01,
        "gae_lambda": 0.98,
        "gamma": 0.99,
        "learning_rate": 1e-3,
        "n_critic_updates": 15,
    },
}


def main(algo: str, env_id: str, seed: int) -> None:
    torch.set_num_threads(1)  # one core per run, as ours: two runs at a time share the machine's two
    if env_id == "LunarLander-v3" and env_id not in gym.registry:
        gym.register(id=env_id, entry_point="lunar_lander_v3:LunarLander", max_episode_steps=1000, reward_threshold=200)
    entry = ZOO[(algo, env_id)]
    kwargs = entry["kwargs"]
    start = time.time()
    env = make_vec_env(env_id, n_envs=entry["n_envs"], seed=seed)
    if entry["normalize"]:
        # rl_zoo3's ExpManager passes the algorithm's gamma to VecNormalize when the entry sets one
        env = VecNormalize(env, **({"gamma": kwargs["gamma"]} if "gamma" in kwargs else {}))
    model = ALGOS[algo]("MlpPolicy", env, seed=seed, device="cpu", **kwargs)
    model.learn(total_timesteps=entry["n_timesteps"])
    train_seconds = time.time() - start

    eval_env = make_vec_env(env_id, n_envs=1, seed=10_000 + seed)
    if entry["normalize"]:
        eval_env = VecNormalize(eval_env, training=False, norm_reward=False)
        eval_env.obs_rms = env.obs_rms
    returns, episode_return, obs = [], 0.0, eval_env.reset()
    while len(returns) < 20:
        action, _ = model.predict(obs, deterministic=True)
        obs, reward, done, _ = eval_env.step(action)
        episode_return += float(reward[0])
        if done[0]:
            returns.append(episode_return)
            episode_return = 0.0
    print(
        json.dumps(
            {
                "algo": algo,
                "env": env_id,
                "seed": seed,
                "finalMean": float(np.mean(returns)),
                "returns": returns,
                "trainSeconds": round(train_seconds, 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
