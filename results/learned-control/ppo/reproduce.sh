#!/usr/bin/env bash
# Reproduces results/learned-control/ppo/ (the first experiment, PPO) from the repository root (one core: torch/BLAS threads 1).
# Wall times on a 2-core machine: ~5.5 min per training run, ~15 min for the evaluation (25 runs per cell).
# The evaluation goes to runs/learned-control/ppo-eval (EVAL_OUT): results/learned-control/ppo/eval is that folder as
# committed, without curves.jsonl.gz (23 MB), and its agents.json names the absolute agent paths it was made with.
set -euo pipefail
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
OUT=results/learned-control/ppo
COMMON="--algo ppo --action-mode continuous --obs-mode features --functions metabox-train
        --held-out metabox-validation --dim 10 --swarm-size 20 --iterations 999 --n-envs 4 --timesteps 2000000
        --eval-every 100000 --checkpoint-every 500000 --seed 0 --no-progress"
for reward in log relative; do
  run=runs/learned-control/ppo-$reward
  [ -f $run/model.zip ] || $PY train_agent.py $COMMON --reward-mode $reward --out $run
  # the agent evaluated: the run's best_model (best mean log10 error on metabox-validation) as agent:DIR's model
  mkdir -p $OUT/agents/ppo-$reward
  cp $run/run.json $run/progress.csv $run/episodes.csv $run/learning_curve.png $OUT/agents/ppo-$reward/
  cp $run/best_model.zip $OUT/agents/ppo-$reward/model.zip
done
$PY evaluate.py --algorithms agent:$OUT/agents/ppo-log,agent:$OUT/agents/ppo-relative,PSO,LinWPSO,APSO,HMM-APSO,random-policy,static:3333,dqnpso-pretrained,cmaes \
  --functions metabox-test --dim 10 --swarm-size 20 --iterations 999 --runs 25 --jobs 1 --no-progress --out ${EVAL_OUT:-runs/learned-control/ppo-eval}
