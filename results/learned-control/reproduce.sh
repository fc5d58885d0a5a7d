#!/usr/bin/env bash
# Reproduces results/learned-control/ from the repository root, one command per table (see report.md).
# Outputs go to runs/learned-control/ (fresh folders); results/learned-control/ and results/paper-protocol/ hold the
# committed copies (results/learned-control/eval without its 105 MB curves.jsonl.gz). Wall times are on the 2-core machine of this project.
set -euo pipefail
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/learned-control}
COMMON="--algo es --action-mode continuous --obs-mode features --elitist --w-min 0.3 --w-max 1.0 --c-min 0.5 --c-max 2.5
        --functions metabox-train --held-out metabox-validation --dim 10 --swarm-size 20 --iterations 999
        --eval-every 1900000 --eval-runs 5 --checkpoint-every 1900000 --seed 0 --no-progress"

# 1. Training. The shipped controller (agents/pretrained/es = this run's best_model): reads progress, stagnation and
#    diversity; 20M steps, 8 min on 2 cores (2 worker processes, one generation's runs split between them).
[ -f $OUT/es/model.json ] || $PY train_agent.py $COMMON --timesteps 20000000 \
    --hyperparameters '{"workers": 2, "inputs": ["progress", "stagnation", "diversity"]}' --out $OUT/es
#    The first design (results/learned-control/agents/es-all-inputs = its best_model): all 13 features, 40M steps.
[ -f $OUT/es-all-inputs/model.json ] || $PY train_agent.py $COMMON --timesteps 40000000 \
    --hyperparameters '{"workers": 2}' --out $OUT/es-all-inputs
# The trained policy is the shipped one, bit for bit (the run is seeded; worker processes do not change it):
cmp $OUT/es/best_model.json agents/pretrained/es/best_model.json || { echo "differs from agents/pretrained/es"; exit 1; }
cmp $OUT/es-all-inputs/best_model.json results/learned-control/agents/es-all-inputs/model.json || { echo "differs"; exit 1; }
ES=pretrained                    # agents/pretrained/es, record name ES-pretrained
ALL=agent:results/learned-control/agents/es-all-inputs

# 2. MetaBox's 16 held-out BBOB functions (ioh instance 1, D = 10, N = 20, 20,000 evaluations, 51 runs): every PSO
#    variant of the repository, the ablations, CMA-ES: 17,952 runs, about 1 h of one core (CMA-ES 0.9 s a run).
#    MetaBox's pretrained optimizers on the same instances come from peers/metabox (its own venv, 41 min of one core):
#      /work/peers-venvs/metabox/bin/python peers/metabox/run_pretrained.py --out $OUT/metabox-ioh --runs 51 \
#          --runs-per RLPSO=10,NRLPSO=5
INCLUDE=""
[ -d $OUT/metabox-ioh ] && INCLUDE="--include $OUT/metabox-ioh"
$PY evaluate.py --algorithms $ES,constant-obs:$ES,schedule-only:$ES,$ALL,PSO,LinWPSO,RandWPSO,SAPSO,LnCPSO,AsyLnCPSO,YSPSO,CLSPSO,SelPSO,SecPSO,APSO,HMM-APSO,EMPSO,MPSO,random-policy,static:2330,dqnpso-pretrained,cmaes \
    --functions metabox-test --dim 10 --swarm-size 20 --iterations 999 --runs 51 --jobs 2 --no-progress \
    --out $OUT/eval $INCLUDE

# 3. The paper's protocol (ten paper functions, D = 30, N = 30, 1000 iterations, 10 runs), never trained on.
$PY evaluate.py --runs 10 --out $OUT/paper-protocol --jobs 2 --no-progress \
    --algorithms $ES,constant-obs:$ES,schedule-only:$ES,$ALL,dqnpso-pretrained,dqnpso-online,APSO,HMM-APSO,PSO,LinWPSO,RandWPSO,SAPSO,LnCPSO,AsyLnCPSO,YSPSO,CLSPSO,SelPSO,SecPSO,cmaes,random-policy,static:2330
